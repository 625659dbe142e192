"""The event bus port: one ordered stream per job, shared by progress and token events.

Stage functions publish progress and tokens; the event router moves them to live delivery and
keeps each job's latest state; the SSE gateway replays history and follows live events. The
SSE wire shape (event name, `id:`, data fields) is fixed by the client contract
(../shared/contract/http-api.md); `StreamEvent.data` is exactly the SSE `data:` object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

JobKind = Literal["scan", "chat"]
Status = Literal["started", "completed", "failed"]
TERMINAL_STAGE = "done"


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One SSE event of one job. `seq` is its SSE `id:` and orders stage and token events."""

    job_id: str
    seq: int
    event: str  # SSE event name: a stage ("queued", "vision", …, "done") or "token"
    data: Mapping[str, Any]  # the SSE data object, exactly as the contract shows it
    # The W3C traceparent of the append (progress events, when tracing is on): not sent to
    # clients; the SSE gateway's send span joins the trace that produced the event.
    traceparent: str | None = None


@dataclass(frozen=True, slots=True)
class JobState:
    """The latest progress of a job; it only moves forward (a higher seq replaces a lower)."""

    job_id: str
    stage: str
    status: str
    seq: int
    progress: int
    data: Mapping[str, Any]  # the data of the progress event that set this state

    @property
    def terminal(self) -> bool:
        return self.stage == TERMINAL_STAGE


@dataclass(frozen=True, slots=True)
class TokenSnapshot:
    """All token text so far, for a client that lost the token events themselves."""

    accumulated: str
    last_seq: int
    completed: bool


@dataclass(frozen=True, slots=True)
class History:
    events: list[StreamEvent]  # strictly after the requested seq, in seq order
    trimmed: bool  # True when retention dropped events the caller has not seen


class EventBus(Protocol):
    async def register_job(self, job_id: str, owner: str, kind: JobKind) -> None:
        """Record who may read this job's stream; must happen before the first publish."""

    async def owner_of(self, job_id: str) -> str | None: ...

    async def publish_progress(
        self,
        job_id: str,
        stage: str,
        status: Status,
        *,
        progress: int | None = None,
        message: str | None = None,
        result: Mapping[str, Any] | None = None,
    ) -> StreamEvent | None:
        """Append a stage event; the same (job, stage, status) appears once (None if again)."""

    async def publish_token(self, job_id: str, content: str, *, node: str) -> StreamEvent:
        """Append a token delta and extend the job's accumulated-text snapshot."""

    async def publish_rewrite(self, job_id: str, text: str, *, node: str) -> StreamEvent:
        """Replace the text shown so far: a `token_recovery` event in the stream (clients
        replace their visible text with `text`) and the snapshot becomes `text`. For an
        answer re-written after a crash that departs from what was streamed before."""

    async def read_since(self, job_id: str, after_seq: int, limit: int = 1000) -> History:
        """History strictly after `after_seq` (0 = from the start)."""

    async def latest_state(self, job_id: str) -> JobState | None: ...

    async def token_snapshot(self, job_id: str) -> TokenSnapshot | None: ...

    def live(self) -> AsyncIterator[StreamEvent]:
        """Every job's events as the router releases them: one subscription per shard, shared
        by all of a gateway process's clients, which it fans out by job id."""
        ...
