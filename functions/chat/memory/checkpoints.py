"""Checkpoint savers: LangGraph's in-memory saver embedded, its official PostgreSQL saver in
real mode (`langgraph-checkpoint-postgres`, on its own psycopg pool: the saver speaks psycopg,
the rest of the mesh asyncpg). Nothing connects before the container asks for it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from functions.kit.container import Container
from functions.kit.errors import UnavailableError


class PrunableMemorySaver(InMemorySaver):
    """LangGraph's in-memory saver with the `aprune` its PostgreSQL saver has: embedded
    mode keeps one checkpoint per conversation instead of every step of every run."""

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        for thread_id in thread_ids:
            if strategy == "delete":
                self.delete_thread(thread_id)
                continue
            for namespace, saved in self.storage.get(thread_id, {}).items():
                if saved:
                    self._keep_latest(thread_id, namespace, saved)

    def _keep_latest(self, thread_id: str, namespace: str, saved: dict[str, Any]) -> None:
        """The newest checkpoint (ids are time-ordered), its pending writes and the channel
        values it references stay; everything older goes."""
        latest = max(saved)
        kept = saved[latest]
        versions = self.serde.loads_typed(kept[0])["channel_versions"]
        self.storage[thread_id][namespace] = {latest: kept}
        for written in [k for k in self.writes if k[:2] == (thread_id, namespace)]:
            if written[2] != latest:
                del self.writes[written]
        for blob in [k for k in self.blobs if k[:2] == (thread_id, namespace)]:
            if versions.get(blob[2]) != blob[3]:
                del self.blobs[blob]


def memory_saver() -> BaseCheckpointSaver[Any]:
    return PrunableMemorySaver()


async def postgres_saver(dsn: str, max_size: int, container: Container) -> BaseCheckpointSaver[Any]:
    """The official saver on a pool of autocommit connections (what its `setup()` and its
    pipelined writes need), its tables created once; closed with the container."""
    import psycopg  # noqa: PLC0415 - real mode only
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver  # noqa: PLC0415
    from psycopg.rows import dict_row  # noqa: PLC0415
    from psycopg_pool import AsyncConnectionPool  # noqa: PLC0415

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        conninfo=dsn, min_size=1, max_size=max_size, open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    )  # fmt: skip
    try:
        await pool.open(wait=True, timeout=30)
        saver = AsyncPostgresSaver(pool)
        # The saver serialises every query behind one asyncio.Lock, which only a single shared
        # connection needs (langgraph#7259): each query here takes its own pooled connection.
        saver.lock = asyncio.Semaphore(max_size)  # type: ignore[assignment]
        await saver.setup()
    except (psycopg.OperationalError, psycopg_pool_errors()) as exc:
        await pool.close()
        raise UnavailableError("the checkpoint store is unavailable") from exc
    container.on_close(pool.close)
    return saver


def psycopg_pool_errors() -> type[Exception]:
    from psycopg_pool import PoolTimeout  # noqa: PLC0415

    return PoolTimeout
