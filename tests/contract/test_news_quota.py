"""The per-source request budget, in memory and on Redis: the minute's limit, the day's
quota, sources counted apart, refusals not counted."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from functions.info.ports import Quota
from functions.info.quota import MemoryQuota, RedisQuota
from tests.rig import RedisClusterNamespace, RedisNamespace

START = datetime(2026, 12, 3, 23, 58, 5, tzinfo=UTC).timestamp()
QuotaAt = Callable[[Callable[[], float]], Quota]


@pytest.fixture
async def memory_quota() -> QuotaAt:
    return MemoryQuota


@pytest.fixture
async def redis_quota(redis_url_and_prefix: RedisNamespace) -> AsyncIterator[QuotaAt]:
    url, prefix = redis_url_and_prefix
    client = aioredis.Redis.from_url(url)
    try:
        yield lambda clock: RedisQuota(client, prefix, clock)
    finally:
        await client.aclose()


@pytest.fixture
async def redis_cluster_quota(redis_cluster: RedisClusterNamespace) -> QuotaAt:
    return lambda clock: RedisQuota(redis_cluster.client, redis_cluster.prefix, clock)


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.integration),
        pytest.param("redis_cluster", marks=pytest.mark.integration),
    ]
)
def quota_at(request: pytest.FixtureRequest) -> QuotaAt:
    found: QuotaAt = request.getfixturevalue(f"{request.param}_quota")
    return found


async def test_the_minute_limit_then_the_daily_quota(quota_at: QuotaAt) -> None:
    now = [START]
    quota = quota_at(lambda: now[0])
    assert [await quota.take("naver", 5, 2) for _ in range(3)] == [True, True, False]
    assert await quota.take("newsdata", 5, 2)  # another source has its own budget
    now[0] += 60
    assert [await quota.take("naver", 5, 2) for _ in range(3)] == [True, True, False]
    now[0] += 60  # past midnight UTC: a new day, a new quota
    assert [await quota.take("naver", 5, 2) for _ in range(3)] == [True, True, False]


async def test_refusals_do_not_spend_the_day(quota_at: QuotaAt) -> None:
    now = [START - 3600]
    quota = quota_at(lambda: now[0])
    for _ in range(10):
        await quota.take("rss", 3, 1)  # one allowed, nine refused by the minute limit
    now[0] += 60
    assert await quota.take("rss", 3, 1)
    now[0] += 60
    assert await quota.take("rss", 3, 1)
    now[0] += 60
    assert not await quota.take("rss", 3, 1)  # three taken in all: the day is spent
