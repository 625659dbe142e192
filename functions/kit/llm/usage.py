"""Token usage of every LLM call, successful or not: what each job and task costs, and which
provider is failing. Recording is best effort: `record_safely` never fails the call. A run's
records are summed into its ledger by `settle` (ledger.py)."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from functions.kit.llm.ledger import ModelCost, RunCost, summarise

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UsageRecord:
    at: datetime  # when the attempt started (UTC)
    job_id: str | None
    task: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    latency_s: float
    ok: bool
    error: str | None  # the error's code and detail when not ok
    searches: int = 0  # native web searches billed with the call
    cost_usd: float | None = None  # from the price table (ledger.py); None: no price known


class UsageRecorder(Protocol):
    async def record(self, r: UsageRecord) -> None: ...

    async def settle(self, job_id: str) -> RunCost:
        """Sum the job's records by model and store the summary (replacing an earlier one)."""
        ...


class MemoryUsageRecorder:
    """Embedded mode and tests: the latest `maxlen` records, in order."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._records: deque[UsageRecord] = deque(maxlen=maxlen)
        self.runs: dict[str, RunCost] = {}  # the settled ledgers, by job

    @property
    def records(self) -> list[UsageRecord]:
        return list(self._records)

    async def record(self, r: UsageRecord) -> None:
        self._records.append(r)

    async def settle(self, job_id: str) -> RunCost:
        mine = [r for r in self._records if r.job_id == job_id]
        rows = []
        for model in sorted({r.model for r in mine}):
            of = [r for r in mine if r.model == model]
            costs = [r.cost_usd for r in of]
            priced = None if None in costs else sum(c or 0.0 for c in costs)
            rows.append(ModelCost(
                model=model, calls=len(of), failed=sum(not r.ok for r in of),
                input_tokens=sum(r.input_tokens for r in of),
                output_tokens=sum(r.output_tokens for r in of),
                searches=sum(r.searches for r in of), cost_usd=priced,
            ))  # fmt: skip
        summary = summarise(job_id, rows)
        self.runs[job_id] = summary
        return summary


async def record_safely(recorder: UsageRecorder, r: UsageRecord) -> None:
    """Record, logging instead of raising: a usage table outage must not fail a scan."""
    try:
        await recorder.record(r)
    except Exception:
        log.warning("could not record LLM usage for %s/%s", r.task, r.model, exc_info=True)


class MeteredUsageRecorder:
    """A recorder that also counts each call's tokens and cost in the process's metrics
    (`eco2_llm_tokens_total`, `eco2_llm_cost_usd_total`): the ledger stays the truth per run,
    the metrics are for dashboards and the daily budget alert."""

    def __init__(self, inner: UsageRecorder, metrics: CallMeter) -> None:
        self._inner = inner
        self._metrics = metrics

    async def record(self, r: UsageRecord) -> None:
        self._metrics.llm_call(r.provider, r.model, input_tokens=r.input_tokens,
                               output_tokens=r.output_tokens, cost_usd=r.cost_usd,
                               ok=r.ok)  # fmt: skip
        await self._inner.record(r)

    async def settle(self, job_id: str) -> RunCost:
        return await self._inner.settle(job_id)

    @property
    def records(self) -> list[UsageRecord]:
        """The inner recorder's records (the memory recorder's, for tests and the CLI)."""
        return list(getattr(self._inner, "records", []))


class CallMeter(Protocol):
    def llm_call(
        self, provider: str, model: str, *, input_tokens: int, output_tokens: int,
        cost_usd: float | None, ok: bool,
    ) -> None: ...  # fmt: skip
