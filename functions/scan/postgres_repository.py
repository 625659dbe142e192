"""PostgreSQL scan repository (asyncpg). First-writer-wins is `ON CONFLICT DO NOTHING` and a
`WHERE status = 'queued'` guard, so concurrent redeliveries agree on one outcome.

asyncpg's errors stop here: a server that cannot be reached or answer becomes the kit's
`UnavailableError` (503, retried), text PostgreSQL refuses to store (a NUL character) a
`BadRequestError` (400, never retried), so callers never catch a library's exception."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import asyncpg  # type: ignore[import-untyped]

from functions.kit.errors import BadRequestError, UnavailableError
from functions.scan.model import JobStatus, ScanJob

COLUMNS = (
    "id, user_id, image_url, image_key, content_type, user_input, model, status, result,"
    " created_at, finished_at"
)


def _job(row: asyncpg.Record) -> ScanJob:
    return ScanJob(
        id=str(row["id"]),
        user_id=str(row["user_id"]),
        image_url=row["image_url"],
        image_key=row["image_key"],
        content_type=row["content_type"],
        user_input=row["user_input"],
        model=row["model"],
        status=row["status"],
        result=json.loads(row["result"]) if row["result"] is not None else None,
        created_at=row["created_at"],
        finished_at=row["finished_at"],
    )


P = ParamSpec("P")
T = TypeVar("T")
# Not reachable, or not able to answer now: worth retrying later.
UNAVAILABLE = (
    OSError,  # refused, reset, timed out (TimeoutError is an OSError)
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,  # e.g. the connection or the pool closed under us
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
    asyncpg.exceptions.TransactionRollbackError,  # serialization failure, deadlock
)


def _translated(
    method: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    @functools.wraps(method)
    async def translated(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except asyncpg.DataError as exc:  # class 22: e.g. 0x00 has no place in a text column
            raise BadRequestError("the request holds characters that cannot be stored") from exc
        except UNAVAILABLE as exc:
            raise UnavailableError("the scan store is unavailable, retry later") from exc

    return translated


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class PostgresScanRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @_translated
    async def create(self, job: ScanJob, idempotency_key: str | None, ttl_s: int) -> ScanJob:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO scan_jobs (id, user_id, image_url, image_key, content_type,"
                " user_input, model, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                uuid.UUID(job.id), uuid.UUID(job.user_id), job.image_url, job.image_key,
                job.content_type, job.user_input, job.model, job.created_at,
            )  # fmt: skip
            if idempotency_key is None:
                return job
            holder = await conn.fetchval(
                "INSERT INTO scan_idempotency (user_id, key, job_id) VALUES ($1, $2, $3)"
                " ON CONFLICT (user_id, key) DO UPDATE"
                " SET job_id = EXCLUDED.job_id, created_at = clock_timestamp()"
                " WHERE scan_idempotency.created_at"
                "  < clock_timestamp() - make_interval(secs => $4)"
                " RETURNING job_id",
                uuid.UUID(job.user_id), idempotency_key, uuid.UUID(job.id), float(ttl_s),
            )  # fmt: skip
            if holder is not None:
                return job
        # the key is held by a live job: this one was never needed (the transaction above
        # committed it, so remove it) and the holder is the answer
        async with self._pool.acquire() as conn:
            await conn.execute("DELETE FROM scan_jobs WHERE id = $1", uuid.UUID(job.id))
            row = await conn.fetchrow(
                f"SELECT {COLUMNS} FROM scan_jobs WHERE id ="
                " (SELECT job_id FROM scan_idempotency WHERE user_id = $1 AND key = $2)",
                uuid.UUID(job.user_id), idempotency_key,
            )  # fmt: skip
        return _job(row)

    @_translated
    async def get(self, job_id: str) -> ScanJob | None:
        key = _uuid(job_id)
        if key is None:
            return None
        row = await self._pool.fetchrow(f"SELECT {COLUMNS} FROM scan_jobs WHERE id = $1", key)
        return _job(row) if row else None

    @_translated
    async def stale_queued(self, older_than_s: float, limit: int) -> list[ScanJob]:
        rows = await self._pool.fetch(
            f"SELECT {COLUMNS} FROM scan_jobs WHERE status = 'queued'"
            " AND created_at < clock_timestamp() - make_interval(secs => $1)"
            " ORDER BY created_at LIMIT $2",
            float(older_than_s), limit,
        )  # fmt: skip
        return [_job(row) for row in rows]

    @_translated
    async def save_stage(self, job_id: str, stage: str, output: dict[str, Any]) -> dict[str, Any]:
        kept = await self._pool.fetchval(
            "WITH new AS (INSERT INTO scan_stage_outputs (job_id, stage, output)"
            " VALUES ($1, $2, $3::jsonb) ON CONFLICT DO NOTHING RETURNING output)"
            " SELECT output FROM new UNION ALL"
            " SELECT output FROM scan_stage_outputs WHERE job_id = $1 AND stage = $2 LIMIT 1",
            uuid.UUID(job_id), stage, json.dumps(output, ensure_ascii=False),
        )  # fmt: skip
        return dict(json.loads(kept))

    @_translated
    async def stage_output(self, job_id: str, stage: str) -> dict[str, Any] | None:
        kept = await self._pool.fetchval(
            "SELECT output FROM scan_stage_outputs WHERE job_id = $1 AND stage = $2",
            uuid.UUID(job_id), stage,
        )  # fmt: skip
        return dict(json.loads(kept)) if kept is not None else None

    @_translated
    async def finish(self, job_id: str, status: JobStatus, result: dict[str, Any]) -> ScanJob:
        key = uuid.UUID(job_id)
        async with self._pool.acquire() as conn:
            await conn.execute(
                "UPDATE scan_jobs SET status = $2, result = $3::jsonb,"
                " finished_at = clock_timestamp() WHERE id = $1 AND status = 'queued'",
                key, status, json.dumps(result, ensure_ascii=False),
            )  # fmt: skip
            row = await conn.fetchrow(f"SELECT {COLUMNS} FROM scan_jobs WHERE id = $1", key)
        return _job(row)
