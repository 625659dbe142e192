"""In-memory scan repository: the embedded default, held to the same contract suite as
PostgreSQL (tests/contract/test_scan_repository.py)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.scan.model import JobStatus, ScanJob


class MemoryScanRepository:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._jobs: dict[str, ScanJob] = {}
        self._stages: dict[tuple[str, str], dict[str, Any]] = {}
        self._keys: dict[tuple[str, str], tuple[str, float]] = {}
        self._clock = clock

    async def create(self, job: ScanJob, idempotency_key: str | None, ttl_s: int) -> ScanJob:
        if idempotency_key is not None:
            slot = (job.user_id, idempotency_key)
            held = self._keys.get(slot)
            if held is not None and self._clock() - held[1] < ttl_s:
                return self._jobs[held[0]]
            self._keys[slot] = (job.id, self._clock())
        self._jobs[job.id] = job
        return job

    async def get(self, job_id: str) -> ScanJob | None:
        return self._jobs.get(job_id)

    async def stale_queued(self, older_than_s: float, limit: int) -> list[ScanJob]:
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
        stale = [j for j in self._jobs.values() if not j.finished and j.created_at < cutoff]
        return sorted(stale, key=lambda j: j.created_at)[:limit]

    async def save_stage(self, job_id: str, stage: str, output: dict[str, Any]) -> dict[str, Any]:
        return self._stages.setdefault((job_id, stage), dict(output))

    async def stage_output(self, job_id: str, stage: str) -> dict[str, Any] | None:
        return self._stages.get((job_id, stage))

    async def finish(self, job_id: str, status: JobStatus, result: dict[str, Any]) -> ScanJob:
        job = self._jobs[job_id]
        if not job.finished:
            job = dataclasses.replace(
                job, status=status, result=dict(result), finished_at=datetime.now(UTC)
            )
            self._jobs[job_id] = job
        return job
