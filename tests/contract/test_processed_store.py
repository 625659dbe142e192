"""The processed-event store contract, on memory and on real Redis (one server, a cluster)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from eventing.idempotency import Claim, MemoryProcessedStore, ProcessedStore
from eventing.redis_idempotency import RedisProcessedStore
from tests.rig import RedisClusterNamespace, RedisNamespace


@pytest.fixture
async def redis_store(redis_url_and_prefix: RedisNamespace) -> AsyncIterator[ProcessedStore]:
    redis = Redis.from_url(redis_url_and_prefix.url)
    yield RedisProcessedStore(redis, prefix=redis_url_and_prefix.prefix, done_ttl_s=60)
    await redis.aclose()


@pytest.fixture
async def redis_cluster_store(redis_cluster: RedisClusterNamespace) -> ProcessedStore:
    return RedisProcessedStore(redis_cluster.client, prefix=redis_cluster.prefix, done_ttl_s=60)


@pytest.fixture
def memory_store() -> ProcessedStore:
    return MemoryProcessedStore(done_ttl_s=60)


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.integration),
        pytest.param("redis_cluster", marks=pytest.mark.integration),
    ]
)
def store(request: pytest.FixtureRequest) -> ProcessedStore:
    found: ProcessedStore = request.getfixturevalue(f"{request.param}_store")
    return found


A, B = "holder-a", "holder-b"  # two deliveries of one event


async def test_first_claim_wins_and_done_is_final(store: ProcessedStore) -> None:
    assert await store.claim("k", 5, A) is Claim.CLAIMED
    assert await store.claim("k", 5, B) is Claim.BUSY
    await store.complete("k", "reply")
    assert await store.claim("k", 5, B) is Claim.DONE
    assert await store.result("k") == "reply"
    await store.release("k", A)  # never erases a done mark
    assert not await store.renew("k", A, 5)  # nor extends it
    assert await store.claim("k", 5, B) is Claim.DONE


async def test_release_lets_a_retry_claim(store: ProcessedStore) -> None:
    assert await store.claim("k", 5, A) is Claim.CLAIMED
    await store.release("k", A)
    assert await store.result("k") is None
    assert await store.claim("k", 5, B) is Claim.CLAIMED


async def test_lease_lapses_unless_renewed(store: ProcessedStore) -> None:
    assert await store.claim("dead", 0.2, A) is Claim.CLAIMED
    assert await store.claim("alive", 0.2, A) is Claim.CLAIMED
    for _ in range(3):
        await asyncio.sleep(0.1)
        assert await store.renew("alive", A, 0.2)
    assert await store.claim("dead", 5, B) is Claim.CLAIMED  # its holder died: taken over
    assert await store.claim("alive", 5, B) is Claim.BUSY


async def test_a_claim_is_its_holders_alone(store: ProcessedStore) -> None:
    """A holder whose lease lapsed learns it lost the claim, and cannot touch the next one."""
    assert await store.claim("k", 0.1, A) is Claim.CLAIMED
    assert not await store.renew("k", B, 5)  # not B's to renew
    await store.release("k", B)  # nor to release
    assert await store.claim("k", 5, B) is Claim.BUSY
    await asyncio.sleep(0.2)  # A's lease lapses (A stalled)
    assert await store.claim("k", 5, B) is Claim.CLAIMED
    assert not await store.renew("k", A, 5)  # A finds out
    await store.release("k", A)  # A's late release leaves B's claim alone
    assert await store.claim("k", 5, A) is Claim.BUSY
    assert await store.renew("k", B, 5)


async def test_concurrent_claims_have_one_winner(store: ProcessedStore) -> None:
    results = await asyncio.gather(*(store.claim("race", 5, f"h{i}") for i in range(50)))
    assert results.count(Claim.CLAIMED) == 1
