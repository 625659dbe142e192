"""Ports of the scan domain, as protocols."""

from __future__ import annotations

from typing import Any, Protocol

from functions.scan.model import JobStatus, ScanJob


class ScanRepository(Protocol):
    """Jobs, the saved output of each stage, and the final result.

    Every write is first-writer-wins, which is what makes redelivered stages safe: a stage that
    finds its output saved reuses it (no second LLM call) and a job's result never changes once
    stored.
    """

    async def create(self, job: ScanJob, idempotency_key: str | None, ttl_s: int) -> ScanJob:
        """Store a new job, or return the job this user already created with the same key
        within `ttl_s` seconds (then `job` is not stored)."""
        ...

    async def get(self, job_id: str) -> ScanJob | None: ...

    async def stale_queued(self, older_than_s: float, limit: int) -> list[ScanJob]:
        """Jobs still queued `older_than_s` after they were created, oldest first."""
        ...

    async def save_stage(self, job_id: str, stage: str, output: dict[str, Any]) -> dict[str, Any]:
        """Keep a stage's output unless one is kept already; returns the kept one."""
        ...

    async def stage_output(self, job_id: str, stage: str) -> dict[str, Any] | None: ...

    async def finish(self, job_id: str, status: JobStatus, result: dict[str, Any]) -> ScanJob:
        """End the job with its result unless it has ended already; returns the job as stored
        (a completed job stays completed even if a late failure notice arrives)."""
        ...
