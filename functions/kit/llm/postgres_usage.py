"""Usage records in PostgreSQL (`llm_usage`, migrations/0001_llm_usage.sql)."""

from __future__ import annotations

from typing import Any

from functions.kit.llm.usage import UsageRecord

_INSERT = """
INSERT INTO llm_usage
    (at, job_id, task, provider, model, input_tokens, output_tokens, latency_s, ok, error)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""
_MAX_ERROR = 1_000


class PostgresUsageRecorder:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def record(self, r: UsageRecord) -> None:
        error = r.error[:_MAX_ERROR] if r.error else None
        await self._pool.execute(
            _INSERT,
            r.at,
            r.job_id,
            r.task,
            r.provider,
            r.model,
            r.input_tokens,
            r.output_tokens,
            r.latency_s,
            r.ok,
            error,
        )
