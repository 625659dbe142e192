"""The scan repository contract, on memory and on real PostgreSQL: first writer wins."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from functions.kit.migrations import migrate
from functions.scan.memory_repository import MemoryScanRepository
from functions.scan.model import ScanJob
from functions.scan.ports import ScanRepository
from functions.scan.postgres_repository import PostgresScanRepository

MIGRATIONS = Path("functions/scan/migrations")
HOUR = 3600


@pytest.fixture
def memory_repo() -> ScanRepository:
    return MemoryScanRepository()


@pytest.fixture
async def postgres_repo(pg_dsn: str) -> AsyncIterator[ScanRepository]:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=10)
    try:
        await migrate(pool, [MIGRATIONS])
        yield PostgresScanRepository(pool)
    finally:
        await pool.close()


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def repo(request: pytest.FixtureRequest) -> ScanRepository:
    found: ScanRepository = request.getfixturevalue(f"{request.param}_repo")
    return found


def job(user_id: str | None = None) -> ScanJob:
    return ScanJob(
        id=str(uuid.uuid4()), user_id=user_id or str(uuid.uuid4()),
        image_url="http://127.0.0.1:8080/media/scan/u/x.png", image_key="scan/u/x.png",
        content_type="image/png", user_input="우유팩", model="offline", status="queued",
        result=None, created_at=datetime.now(UTC),
    )  # fmt: skip


async def test_a_created_job_reads_back_queued(repo: ScanRepository) -> None:
    made = job()
    assert await repo.create(made, None, HOUR) == made
    found = await repo.get(made.id)
    assert found is not None and (found.id, found.user_id, found.status) == (
        made.id, made.user_id, "queued"
    )  # fmt: skip
    assert found.user_input == "우유팩" and found.result is None and not found.finished
    assert await repo.get(str(uuid.uuid4())) is None
    assert await repo.get("not-a-uuid") is None


async def test_the_same_idempotency_key_returns_the_first_job(repo: ScanRepository) -> None:
    first = job()
    assert (await repo.create(first, "k1", HOUR)).id == first.id
    again = await repo.create(job(first.user_id), "k1", HOUR)
    assert again.id == first.id
    other_user = await repo.create(job(), "k1", HOUR)  # keys are per user
    assert other_user.id != first.id
    other_key = await repo.create(job(first.user_id), "k2", HOUR)
    assert other_key.id != first.id


async def test_concurrent_submissions_with_one_key_agree(repo: ScanRepository) -> None:
    user_id = str(uuid.uuid4())
    made = await asyncio.gather(*(repo.create(job(user_id), "same", HOUR) for _ in range(10)))
    assert len({j.id for j in made}) == 1
    assert await repo.get(made[0].id) is not None


async def test_an_expired_key_starts_a_new_job(repo: ScanRepository) -> None:
    first = await repo.create(job(), "k", 0)
    await asyncio.sleep(0.01)
    second = await repo.create(job(first.user_id), "k", 0)
    assert second.id != first.id


async def test_a_stage_output_is_kept_once(repo: ScanRepository) -> None:
    made = await repo.create(job(), None, HOUR)
    assert await repo.stage_output(made.id, "vision") is None
    kept = await repo.save_stage(made.id, "vision", {"minor_category": "우유팩"})
    assert kept == {"minor_category": "우유팩"}
    again = await repo.save_stage(made.id, "vision", {"minor_category": "신문지"})
    assert again == {"minor_category": "우유팩"}
    assert await repo.stage_output(made.id, "vision") == {"minor_category": "우유팩"}
    assert await repo.stage_output(made.id, "answer") is None


async def test_concurrent_stage_saves_agree(repo: ScanRepository) -> None:
    made = await repo.create(job(), None, HOUR)
    kept = await asyncio.gather(*(repo.save_stage(made.id, "answer", {"n": n}) for n in range(10)))
    assert len({k["n"] for k in kept}) == 1


async def test_a_job_ends_once(repo: ScanRepository) -> None:
    made = await repo.create(job(), None, HOUR)
    done = await repo.finish(made.id, "completed", {"status": "completed", "reward": None})
    assert done.status == "completed" and done.finished_at is not None
    late = await repo.finish(made.id, "failed", {"status": "failed"})
    assert late.status == "completed" and late.result == {"status": "completed", "reward": None}
    found = await repo.get(made.id)
    assert found is not None and found.result == {"status": "completed", "reward": None}


async def test_stale_queued_jobs_oldest_first(repo: ScanRepository) -> None:
    aged = dataclasses.replace(job(), created_at=datetime.now(UTC) - timedelta(minutes=10))
    older = dataclasses.replace(job(), created_at=datetime.now(UTC) - timedelta(minutes=20))
    fresh = job()
    done = dataclasses.replace(job(), created_at=datetime.now(UTC) - timedelta(minutes=30))
    for made in (aged, older, fresh, done):
        await repo.create(made, None, HOUR)
    await repo.finish(done.id, "completed", {"status": "completed"})
    stale = await repo.stale_queued(60, 10)
    assert [j.id for j in stale] == [older.id, aged.id]
    assert [j.id for j in await repo.stale_queued(60, 1)] == [older.id]
