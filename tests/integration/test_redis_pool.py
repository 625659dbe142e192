"""The process's Redis client makes callers wait for a free connection when all are busy,
instead of failing: redis-py's default pool raises MaxConnectionsError past 100, which the
chat bench met at 500 conversations (a token publish failed, the answer node with it)."""

from __future__ import annotations

import asyncio

import pytest

from functions.kit.container import REDIS_MAX_CONNECTIONS, Container
from functions.kit.settings import Settings
from tests.rig import RedisNamespace

pytestmark = pytest.mark.integration


async def test_more_callers_than_connections_wait_their_turn(
    redis_url_and_prefix: RedisNamespace,
) -> None:
    url, prefix = redis_url_and_prefix
    container = Container(Settings(mode="real", redis_url=url, redis_prefix=prefix), {})
    try:
        redis = await container.redis()
        callers = 2 * REDIS_MAX_CONNECTIONS  # each holds a connection for its 0.1 s wait
        found = await asyncio.gather(
            *(redis.blpop([f"{prefix}empty"], timeout=0.1) for _ in range(callers))
        )
        assert found == [None] * callers
    finally:
        await container.close()
