"""Usage records and run ledgers in PostgreSQL (`llm_usage`, `llm_run_costs`; migrations)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from functions.kit.llm.ledger import ModelCost, RunCost, summarise
from functions.kit.llm.usage import UsageRecord

_INSERT = """
INSERT INTO llm_usage (at, job_id, task, provider, model, input_tokens, output_tokens,
                       latency_s, ok, error, searches, cost_usd)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
"""
_BY_MODEL = """
SELECT model, count(*) AS calls, count(*) FILTER (WHERE NOT ok) AS failed,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       sum(searches) AS searches,
       CASE WHEN bool_and(cost_usd IS NOT NULL) THEN sum(cost_usd) END AS cost_usd
FROM llm_usage WHERE job_id = $1 GROUP BY model
"""
_SETTLE = """
INSERT INTO llm_run_costs (job_id, settled_at, calls, input_tokens, output_tokens, cost_usd,
                           priced, by_model)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
ON CONFLICT (job_id) DO UPDATE SET settled_at = EXCLUDED.settled_at, calls = EXCLUDED.calls,
    input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
    cost_usd = EXCLUDED.cost_usd, priced = EXCLUDED.priced, by_model = EXCLUDED.by_model
"""
_MAX_ERROR = 1_000


class PostgresUsageRecorder:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def record(self, r: UsageRecord) -> None:
        error = r.error[:_MAX_ERROR] if r.error else None
        await self._pool.execute(
            _INSERT, r.at, r.job_id, r.task, r.provider, r.model, r.input_tokens,
            r.output_tokens, r.latency_s, r.ok, error, r.searches, r.cost_usd,
        )  # fmt: skip

    async def settle(self, job_id: str) -> RunCost:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_BY_MODEL, job_id)
            summary = summarise(job_id, [_model_cost(row) for row in rows])
            by_model = json.dumps([dataclasses.asdict(m) for m in summary.by_model])
            await conn.execute(
                _SETTLE, job_id, datetime.now(UTC), summary.calls, summary.input_tokens,
                summary.output_tokens, summary.cost_usd, summary.priced, by_model,
            )  # fmt: skip
        return summary


def _model_cost(row: Any) -> ModelCost:
    cost = row["cost_usd"]
    return ModelCost(
        model=row["model"], calls=int(row["calls"]), failed=int(row["failed"]),
        input_tokens=int(row["input_tokens"]), output_tokens=int(row["output_tokens"]),
        searches=int(row["searches"]), cost_usd=None if cost is None else float(cost),
    )  # fmt: skip
