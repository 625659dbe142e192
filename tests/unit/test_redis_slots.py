"""Every Lua script and every MULTI the adapters run touches one Redis Cluster slot.

A fake client records the KEYS of each script call and the keys of each transaction's
commands; the test runs each adapter's operations and checks `key_slot` of what it recorded
(redis-py's CRC16, as the cluster computes it). A forgotten hash tag fails here without any
server; the contract suites then prove the same on the local cluster (ADR 0020)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from redis.crc import key_slot

from eventing.bus.keys import BusKeys, shard_of
from eventing.bus.limits import BusLimits
from eventing.bus.redis_streams import RedisEventBus
from eventing.redis_idempotency import RedisProcessedStore
from functions.auth.model import RefreshRecord, Revocation, Successor
from functions.auth.redis_revocations import RedisRevocationStore
from functions.auth.redis_sessions import RedisSessionStore
from functions.auth.redis_state import RedisStateStore
from functions.chat.memory.hot import HotCheckpointSaver
from functions.info.quota import RedisQuota

NOT_KEYS = {"publish", "spublish"}  # channels: not part of a transaction's slot


class FakeScript:
    def __init__(self, client: RecordingRedis, source: str) -> None:
        self._client, self._source = client, source

    async def __call__(self, keys: Sequence[str] = (), args: Sequence[Any] = ()) -> Any:
        self._client.calls.append((f"script {self._source.split()[1:4]}", list(keys)))
        return self._client.script_reply


class FakePipeline:
    def __init__(self, client: RecordingRedis, transaction: bool) -> None:
        self._client, self._transaction = client, transaction
        self._keys: list[str] = []

    async def __aenter__(self) -> FakePipeline:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    def __getattr__(self, command: str) -> Callable[..., FakePipeline]:
        def queue(key: str, *_: Any, **__: Any) -> FakePipeline:
            if command not in NOT_KEYS:
                self._keys.append(key)
            return self

        return queue

    async def execute(self) -> list[Any]:
        if self._transaction:
            self._client.calls.append(("transaction", self._keys))
        return self._client.pipeline_reply


class RecordingRedis:
    """Only what the adapters call in these tests; replies are set per test."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.script_reply: Any = None
        self.pipeline_reply: list[Any] = []

    def register_script(self, source: str) -> FakeScript:
        return FakeScript(self, source)

    def pipeline(self, transaction: bool = True) -> FakePipeline:
        return FakePipeline(self, transaction)

    async def publish(self, channel: str, message: str) -> int:
        return 0


def assert_one_slot_each(redis: RecordingRedis) -> None:
    assert redis.calls, "nothing was recorded: the test exercised no script or transaction"
    for what, keys in redis.calls:
        slots = {key_slot(k.encode()) for k in keys}
        assert len(slots) == 1, f"{what} spans slots {sorted(slots)}: {keys}"


@pytest.mark.parametrize("shards", [1, 4, 16])
def test_every_bus_key_of_a_job_shares_its_shards_slot(shards: int) -> None:
    keys = BusKeys("eco2:", shards)
    for n in range(200):
        job = f"job-{n}"
        shard = shard_of(job, shards)
        slots = {key_slot(k.encode()) for k in [*keys.job_keys(job), keys.job_shard(job)]}
        assert slots == {key_slot(keys.channel(shard).encode())}
        assert keys.shard_index(keys.job_shard(job)) == shard


def test_a_prefix_with_braces_is_refused() -> None:
    with pytest.raises(ValueError):
        BusKeys("eco2:{x}:", 4)


async def test_the_bus_scripts_and_reads() -> None:
    redis = RecordingRedis()
    bus = RedisEventBus(redis, prefix="eco2:", limits=BusLimits(shards=8))  # type: ignore[arg-type]
    redis.script_reply = 1
    await bus.register_job("j1", "alice", "chat")
    redis.script_reply = [1, b"chat", b"0"]
    await bus.publish_progress("j1", "queued", "started")
    redis.script_reply = [2, b"chat", b""]
    await bus.publish_token("j1", "hi", node="answer")
    redis.pipeline_reply = [[], None]
    await bus.read_since("j1", 0)
    redis.pipeline_reply = [None, [None, None]]
    await bus.token_snapshot("j1")
    assert_one_slot_each(redis)


async def test_the_session_scripts_and_transactions() -> None:
    redis = RecordingRedis()
    store = RedisSessionStore(redis, "eco2:")
    await store.open(RefreshRecord("jti1", "sid1", "u1", "google", 2_000_000_000))
    redis.script_reply = [b"unknown"]
    successor = Successor("access", "jti2", 1_000, 2_000_000_100, 2_000_000_100)
    await store.rotate("jti1", "sid1", successor, 1_000.0, 30.0)
    redis.script_reply = None
    await store.revoke_family("sid1")
    assert_one_slot_each(redis)


async def test_the_login_state_and_revocation_transactions() -> None:
    redis = RecordingRedis()
    redis.pipeline_reply = [1, True, 1_000]
    await RedisStateStore(redis, "eco2:").admit("203.0.113.9", 20, 60)
    redis.pipeline_reply = []
    revocations = RedisRevocationStore(redis, "eco2:")
    await revocations.revoke([Revocation("sid", "s1", 2_000_000_000)])
    assert_one_slot_each(redis)


async def test_the_checkpoint_hot_layer_scripts() -> None:
    redis = RecordingRedis()
    saver = HotCheckpointSaver(InMemorySaver(), redis, "eco2:", ttl_s=60)
    config = {"configurable": {"thread_id": "t1", "checkpoint_ns": ""}}
    redis.script_reply = 1
    stored = await saver.aput(config, empty_checkpoint(), {}, {})  # type: ignore[arg-type]
    await saver.aput_writes(stored, [("messages", "hi")], "task1")
    redis.pipeline_reply = [{}, 0, 0]
    await saver.aget_tuple(stored)
    assert_one_slot_each(redis)


async def test_the_quota_and_processed_store_scripts() -> None:
    redis = RecordingRedis()
    redis.script_reply = 1
    assert await RedisQuota(redis, "eco2:info:quota:").take("naver", 10, 5)
    store = RedisProcessedStore(redis, prefix="eco2:processed:")  # type: ignore[arg-type]
    await store.release("event-1", "holder-1")  # (a renewal is one key: EVAL in the batches)
    assert_one_slot_each(redis)
