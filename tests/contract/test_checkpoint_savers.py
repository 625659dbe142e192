"""The checkpoint saver contract, on the embedded in-memory saver, the official PostgreSQL
saver, and the Redis hot layer over it: put/get/list, pending writes, prune (the latest
state is never lost), delete; and for the hot layer its TTL and its read-through."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    Checkpoint,
    create_checkpoint,
    empty_checkpoint,
)

from functions.chat.errors import CheckpointStoreUnavailable
from functions.chat.memory import checkpoints
from functions.chat.memory.hot import HotCheckpointSaver
from functions.kit.container import Container
from functions.kit.settings import Settings
from tests.rig import RedisClusterNamespace, RedisNamespace

TTL_S = 600
Saver = BaseCheckpointSaver[Any]


@pytest.fixture
async def postgres_saver(pg_dsn: str) -> AsyncIterator[Saver]:
    container = Container(Settings(mode="real", pg_dsn=pg_dsn), {})
    try:
        yield await checkpoints.postgres_saver(pg_dsn, 4, container)
    finally:
        await container.close()


@pytest.fixture
async def redis_client(redis_url_and_prefix: RedisNamespace) -> AsyncIterator[Any]:
    client = aioredis.Redis.from_url(redis_url_and_prefix.url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def hot_saver(
    postgres_saver: Saver, redis_client: Any, redis_url_and_prefix: RedisNamespace
) -> HotCheckpointSaver:
    return HotCheckpointSaver(postgres_saver, redis_client, redis_url_and_prefix.prefix, TTL_S)


@pytest.fixture
def hot_cluster_saver(postgres_saver: Saver, redis_cluster: RedisClusterNamespace) -> Saver:
    return HotCheckpointSaver(postgres_saver, redis_cluster.client, redis_cluster.prefix, TTL_S)


@pytest.fixture(
    params=[
        "memory",
        pytest.param("postgres", marks=pytest.mark.integration),
        pytest.param("hot", marks=pytest.mark.integration),
        pytest.param("hot_cluster", marks=pytest.mark.integration),
    ]
)
def saver(request: pytest.FixtureRequest) -> Saver:
    if request.param == "memory":
        return checkpoints.memory_saver()
    found: Saver = request.getfixturevalue(f"{request.param}_saver")
    return found


def thread() -> str:
    return str(uuid.uuid4())


def config(thread_id: str, checkpoint_id: str | None = None) -> Any:
    configurable = {"thread_id": thread_id, "checkpoint_ns": ""}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


async def put(saver: Saver, at: Any, step: int, turns: list[str]) -> tuple[Any, Checkpoint]:
    """A checkpoint after `at` whose `history` channel holds `turns` (a blob in PostgreSQL)
    and `job_id` a primitive."""
    previous = await saver.aget_tuple(at)
    base = previous.checkpoint if previous else empty_checkpoint()
    version = saver.get_next_version(base["channel_versions"].get("history"), None)
    values = {"history": list(turns), "job_id": f"job-{step}"}
    versions = {"history": version, "job_id": version}
    checkpoint = create_checkpoint(base, None, step)
    checkpoint["channel_values"] = values
    checkpoint["channel_versions"] = versions
    stored = await saver.aput(at, checkpoint, {"source": "loop", "step": step}, versions)
    return stored, checkpoint


async def test_the_latest_checkpoint_and_a_named_one_read_back(saver: Saver) -> None:
    t = thread()
    first, _ = await put(saver, config(t), 1, ["안녕"])
    second, _ = await put(saver, first, 2, ["안녕", "반가워요"])
    latest = await saver.aget_tuple(config(t))
    assert latest is not None
    assert latest.config["configurable"]["checkpoint_id"] == second["configurable"]["checkpoint_id"]
    assert latest.checkpoint["channel_values"]["history"] == ["안녕", "반가워요"]
    assert latest.metadata["step"] == 2
    assert latest.parent_config is not None
    assert (
        latest.parent_config["configurable"]["checkpoint_id"]
        == first["configurable"]["checkpoint_id"]
    )
    older = await saver.aget_tuple(first)
    assert older is not None and older.checkpoint["channel_values"]["history"] == ["안녕"]
    assert await saver.aget_tuple(config(thread())) is None


async def test_list_is_newest_first_with_limit_and_before(saver: Saver) -> None:
    t = thread()
    at = config(t)
    ids = []
    for step in range(3):
        at, _ = await put(saver, at, step, [f"turn {step}"])
        ids.append(at["configurable"]["checkpoint_id"])
    listed = [c.config["configurable"]["checkpoint_id"] async for c in saver.alist(config(t))]
    assert listed == ids[::-1]
    limited = [c async for c in saver.alist(config(t), limit=1)]
    assert [c.config["configurable"]["checkpoint_id"] for c in limited] == [ids[2]]
    before = [c async for c in saver.alist(config(t), before=config(t, ids[2]))]
    assert [c.config["configurable"]["checkpoint_id"] for c in before] == ids[1::-1]


async def test_pending_writes_come_back_in_task_order(saver: Saver) -> None:
    t = thread()
    at, _ = await put(saver, config(t), 1, ["안녕"])
    await saver.aput_writes(at, [("results", {"node": "weather"})], "task-b", "path-b")
    await saver.aput_writes(at, [("results", {"node": "waste_rag"}), ("intents", ["waste"])],
                            "task-a", "path-a")  # fmt: skip
    await saver.aput_writes(at, [("results", {"node": "again"})], "task-b", "path-b")  # a retry
    found = await saver.aget_tuple(config(t))
    assert found is not None
    assert found.pending_writes == [
        ("task-a", "results", {"node": "waste_rag"}),
        ("task-a", "intents", ["waste"]),
        ("task-b", "results", {"node": "weather"}),
    ]
    newer, _ = await put(saver, at, 2, ["안녕", "반가워요"])
    assert (await saver.aget_tuple(newer)).pending_writes == []  # type: ignore[union-attr]


async def test_prune_keeps_the_latest_state_and_delete_forgets(saver: Saver) -> None:
    t, other = thread(), thread()
    at = config(t)
    for step in range(3):
        at, _ = await put(saver, at, step, [f"turn {step}"])
    await put(saver, config(other), 1, ["남의 대화"])
    await saver.aprune([t], strategy="keep_latest")
    kept = [c async for c in saver.alist(config(t))]
    assert len(kept) == 1
    latest = await saver.aget_tuple(config(t))
    assert latest is not None and latest.checkpoint["channel_values"]["history"] == ["turn 2"]
    next_at, _ = await put(saver, at, 3, ["turn 3"])  # the thread goes on after a prune
    assert (await saver.aget_tuple(config(t))).config == next_at  # type: ignore[union-attr]
    await saver.adelete_thread(t)
    assert await saver.aget_tuple(config(t)) is None
    assert [c async for c in saver.alist(config(t))] == []
    assert await saver.aget_tuple(config(other)) is not None
    await saver.aprune([other], strategy="delete")
    assert await saver.aget_tuple(config(other)) is None


@pytest.mark.integration
async def test_hot_entries_expire_and_read_through_to_postgres(
    hot_saver: HotCheckpointSaver, postgres_saver: Saver, redis_client: Any
) -> None:
    t = thread()
    at, _ = await put(hot_saver, config(t), 1, ["안녕"])
    key = hot_saver.entry_key(t, "")
    assert 0 < await redis_client.pttl(key) <= TTL_S * 1000
    assert 0 < await redis_client.pttl(hot_saver.thread_key(t)) <= TTL_S * 1000
    await redis_client.delete(key)  # as if its TTL ran out
    found = await hot_saver.aget_tuple(config(t))
    assert found is not None and found.config == at
    assert await redis_client.exists(key) == 1  # the miss refilled it
    # A checkpoint written behind the hot layer's back is not what it serves...
    await put(postgres_saver, at, 2, ["직접 쓴 것"])
    served = await hot_saver.aget_tuple(config(t))
    assert served is not None and served.checkpoint["channel_values"]["history"] == ["안녕"]
    # ...which proves reads are served hot; an expired entry shows the durable truth.
    await redis_client.delete(key)
    truth = await hot_saver.aget_tuple(config(t))
    assert truth is not None and truth.checkpoint["channel_values"]["history"] == ["직접 쓴 것"]


@pytest.mark.integration
async def test_an_older_checkpoint_never_replaces_a_newer_hot_one(
    hot_saver: HotCheckpointSaver,
) -> None:
    t = thread()
    first, _ = await put(hot_saver, config(t), 1, ["하나"])
    second, _ = await put(hot_saver, first, 2, ["하나", "둘"])
    assert (await hot_saver.aget_tuple(first)).config == first  # type: ignore[union-attr]
    latest = await hot_saver.aget_tuple(config(t))
    assert latest is not None and latest.config == second


@pytest.mark.integration
async def test_redis_down_reads_through_and_durable_errors_are_translated(
    postgres_saver: Saver, redis_url_and_prefix: RedisNamespace, pg_dsn: str
) -> None:
    dead = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        saver = HotCheckpointSaver(postgres_saver, dead, redis_url_and_prefix.prefix, TTL_S)
        t = thread()
        with pytest.raises(CheckpointStoreUnavailable):
            await put(saver, config(t), 1, ["안녕"])  # written durably, hot entry not dropped
        found = await saver.aget_tuple(config(t))  # Redis unreadable: PostgreSQL answers
        assert found is not None and found.checkpoint["channel_values"]["history"] == ["안녕"]
    finally:
        await dead.aclose()
    closed = Container(Settings(mode="real", pg_dsn=pg_dsn), {})
    durable = await checkpoints.postgres_saver(pg_dsn, 2, closed)
    await closed.close()  # its pool is gone
    client = aioredis.Redis.from_url(redis_url_and_prefix.url)
    try:
        broken = HotCheckpointSaver(durable, client, redis_url_and_prefix.prefix, TTL_S)
        with pytest.raises(CheckpointStoreUnavailable):
            await broken.aget_tuple(config(thread()))
    finally:
        await client.aclose()


@pytest.mark.integration
async def test_a_refill_read_before_new_writes_never_hides_them(
    hot_saver: HotCheckpointSaver, postgres_saver: Saver, redis_client: Any
) -> None:
    t = thread()
    at, _ = await put(hot_saver, config(t), 1, ["안녕"])
    await redis_client.delete(hot_saver.entry_key(t, ""))  # expired
    read_before = await postgres_saver.aget_tuple(config(t))  # a reader's durable read ...
    await hot_saver.aput_writes(at, [("results", {"node": "weather"})], "task-a", "p")
    assert read_before is not None
    await hot_saver._fill(t, "", read_before, strict=False)  # ... refilled after them
    found = await hot_saver.aget_tuple(config(t))
    assert found is not None and found.pending_writes == [
        ("task-a", "results", {"node": "weather"})
    ]
