"""Adapters translate their library's errors at the boundary (issue 8): a Redis or PostgreSQL
that does not answer is the package's *unavailable* error (503, retried), text PostgreSQL
cannot store is a bad request (400) — never a redis-py or asyncpg exception for the caller.

"Not answering" is a closed loopback port: the real clients, nothing listening.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from redis.asyncio import Redis

from eventing.bus.redis_streams import RedisEventBus
from eventing.errors import BusUnavailableError, TransientError
from eventing.redis_idempotency import RedisProcessedStore
from functions.kit.errors import BadRequestError, UnavailableError, http_status_and_code
from functions.kit.migrations import migrate
from functions.scan.model import ScanJob
from functions.scan.postgres_repository import PostgresScanRepository
from tests.support.loopback import free_port

MIGRATIONS = Path("functions/scan/migrations")


def _job(user_input: str | None = "우유팩") -> ScanJob:
    return ScanJob(
        id=str(uuid.uuid4()), user_id=str(uuid.uuid4()),
        image_url="http://127.0.0.1:8080/media/scan/u/x.png", image_key="scan/u/x.png",
        content_type="image/png", user_input=user_input, model="offline", status="queued",
        result=None, created_at=datetime.now(UTC),
    )  # fmt: skip


@pytest.fixture
async def closed_redis() -> AsyncIterator[Redis]:
    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    yield redis
    await redis.aclose()


async def test_the_redis_bus_says_bus_unavailable(closed_redis: Redis) -> None:
    bus = RedisEventBus(closed_redis, prefix="eco2:test:")
    for call in (
        bus.owner_of("j"),
        bus.register_job("j", "alice", "scan"),
        bus.publish_progress("j", "queued", "completed", progress=0),
        bus.read_since("j", 0),
        bus.latest_state("j"),
        bus.token_snapshot("j"),
    ):
        with pytest.raises(BusUnavailableError) as raised:
            await call
        assert http_status_and_code(raised.value) == (503, "EVENT_BUS_UNAVAILABLE")


async def test_the_redis_processed_store_says_it_is_unavailable(closed_redis: Redis) -> None:
    store = RedisProcessedStore(closed_redis)
    with pytest.raises(TransientError):
        await store.claim("trigger|source|id", 10, "holder")


async def test_an_unreachable_postgres_is_unavailable_not_an_asyncpg_error() -> None:
    dsn = f"postgresql://eco2:eco2@127.0.0.1:{free_port()}/eco2"
    pool = await asyncpg.create_pool(dsn, min_size=0, max_size=1, timeout=2)
    try:
        repo = PostgresScanRepository(pool)
        with pytest.raises(UnavailableError) as raised:
            await repo.get(str(uuid.uuid4()))
        assert http_status_and_code(raised.value) == (503, "UNAVAILABLE")
        with pytest.raises(UnavailableError):
            await repo.create(_job(), None, 3600)
    finally:
        await pool.close()


@pytest.mark.integration
async def test_a_nul_in_user_input_is_a_bad_request_and_stores_nothing(pg_dsn: str) -> None:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=2)
    try:
        await migrate(pool, [MIGRATIONS])
        repo = PostgresScanRepository(pool)
        bad = _job("라벨\x00뗀 페트병")
        with pytest.raises(BadRequestError) as raised:
            await repo.create(bad, None, 3600)
        assert http_status_and_code(raised.value) == (400, "BAD_REQUEST")
        assert await repo.get(bad.id) is None
        good = dataclasses.replace(bad, id=str(uuid.uuid4()), user_input="라벨 뗀 페트병")
        assert await repo.create(good, None, 3600) == good  # the pool is still fine
    finally:
        await pool.close()
