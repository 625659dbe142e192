"""Token usage of every LLM call, successful or not: what each job and task costs, and which
provider is failing. Recording is best effort: `record_safely` never fails the call."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

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


class UsageRecorder(Protocol):
    async def record(self, r: UsageRecord) -> None: ...


class MemoryUsageRecorder:
    """Embedded mode and tests: the latest `maxlen` records, in order."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._records: deque[UsageRecord] = deque(maxlen=maxlen)

    @property
    def records(self) -> list[UsageRecord]:
        return list(self._records)

    async def record(self, r: UsageRecord) -> None:
        self._records.append(r)


async def record_safely(recorder: UsageRecorder, r: UsageRecord) -> None:
    """Record, logging instead of raising: a usage table outage must not fail a scan."""
    try:
        await recorder.record(r)
    except Exception:
        log.warning("could not record LLM usage for %s/%s", r.task, r.model, exc_info=True)
