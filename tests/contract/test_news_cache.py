"""The page cache's contract, in memory and on Redis (one server, a cluster): misses, hits
with their time left."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from functions.info.memory_articles import MemoryPageCache
from functions.info.ports import PageCache
from functions.info.redis_cache import RedisPageCache
from tests.rig import RedisClusterNamespace, RedisNamespace


@pytest.fixture
async def memory_cache() -> MemoryPageCache:
    return MemoryPageCache()


@pytest.fixture
async def redis_cache(redis_url_and_prefix: RedisNamespace) -> AsyncIterator[RedisPageCache]:
    url, prefix = redis_url_and_prefix
    client = aioredis.Redis.from_url(url)
    try:
        yield RedisPageCache(client, prefix)
    finally:
        await client.aclose()


@pytest.fixture
async def redis_cluster_cache(redis_cluster: RedisClusterNamespace) -> RedisPageCache:
    return RedisPageCache(redis_cluster.client, redis_cluster.prefix)


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.integration),
        pytest.param("redis_cluster", marks=pytest.mark.integration),
    ]
)
def cache(request: pytest.FixtureRequest) -> PageCache:
    found: PageCache = request.getfixturevalue(f"{request.param}_cache")
    return found


async def test_a_miss_then_a_hit_with_its_time_left(cache: PageCache) -> None:
    assert await cache.get("all:10:-") is None
    await cache.put("all:10:-", "페이지".encode(), 30)
    value, left = await cache.get("all:10:-") or (b"", 0)
    assert value.decode() == "페이지" and 1 <= left <= 30
    assert await cache.get("all:20:-") is None
    await cache.put("all:10:-", b"newer", 5)
    assert (await cache.get("all:10:-") or (b"", 0))[0] == b"newer"


async def test_memory_entries_expire_on_their_clock() -> None:
    now = [100.0]
    cache = MemoryPageCache(clock=lambda: now[0], max_entries=2)
    await cache.put("a", b"1", 10)
    now[0] += 9.4
    assert await cache.get("a") == (b"1", 1)
    now[0] += 1
    assert await cache.get("a") is None
    for key in ("x", "y", "z"):
        await cache.put(key, b"v", 10)
    assert await cache.get("x") is None and await cache.get("z") is not None
