"""Checkpoint savers: LangGraph's in-memory saver embedded, its official PostgreSQL saver in
real mode (`langgraph-checkpoint-postgres`, on its own psycopg pool: the saver speaks psycopg,
the rest of the mesh asyncpg). Nothing connects before the container asks for it."""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from functions.kit.container import Container
from functions.kit.errors import UnavailableError


def memory_saver() -> BaseCheckpointSaver[Any]:
    return InMemorySaver()


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
        await saver.setup()
    except (psycopg.OperationalError, psycopg_pool_errors()) as exc:
        await pool.close()
        raise UnavailableError("the checkpoint store is unavailable") from exc
    container.on_close(pool.close)
    return saver


def psycopg_pool_errors() -> type[Exception]:
    from psycopg_pool import PoolTimeout  # noqa: PLC0415

    return PoolTimeout
