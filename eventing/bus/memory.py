"""The in-memory event bus (embedded mode and tests): the Redis adapter's semantics in one process.

Everything a publish does happens without an `await` in between, so it is as atomic as the
Redis adapter's Lua script: idempotency on (job, stage, status), the per-job `seq`, the bounded
history (a deque with `maxlen`, so retention trims exactly like `XADD MAXLEN`), the token
snapshot, the forward-only state, and the TTL on every per-job record (checked lazily on access).
The router's step — release to live subscribers — runs inline: every `live()` feed gets the
event right after the append.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eventing.bus.entries import (
    JobNotRegistered,
    JobOwnerConflict,
    appending,
    dedupe_member,
    event_from_fields,
    is_trimmed,
    progress_fields,
    state_from_fields,
    token_fields,
)
from eventing.bus.limits import BusLimits
from eventing.bus.port import (
    TERMINAL_STAGE,
    History,
    JobKind,
    JobState,
    Status,
    StreamEvent,
    TokenSnapshot,
)
from eventing.tracing import tracer

_CLOSED = object()


@dataclass
class _Job:
    owner: str
    kind: str
    history: deque[dict[str, str]]
    expires_at: float
    seq: int = 0
    progress: int = 0
    seen: set[str] = field(default_factory=set)
    state: dict[str, str] | None = None
    text: list[str] = field(default_factory=list)
    token_seq: int = 0
    terminal: bool = False


class LiveFeed:
    """One `live()` iterator: subscribed from the moment it is created, ended by `aclose()`."""

    def __init__(self, bus: InMemoryEventBus) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        bus._feeds.add(self)

    def put(self, item: Any) -> None:
        self._queue.put_nowait(item)

    def __aiter__(self) -> LiveFeed:
        return self

    async def __anext__(self) -> StreamEvent:
        item = await self._queue.get()
        if item is _CLOSED:
            self._bus._feeds.discard(self)
            raise StopAsyncIteration
        event: StreamEvent = item
        return event

    async def aclose(self) -> None:
        self._bus._feeds.discard(self)
        self._queue.put_nowait(_CLOSED)


class InMemoryEventBus:
    def __init__(
        self,
        limits: BusLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits or BusLimits()
        self._clock = clock
        self._jobs: dict[str, _Job] = {}
        self._feeds: set[LiveFeed] = set()

    # ------------------------------------------------------------------ jobs

    def _job(self, job_id: str) -> _Job | None:
        job = self._jobs.get(job_id)
        if job is not None and job.expires_at <= self._clock():
            del self._jobs[job_id]
            return None
        return job

    def _touch(self, job: _Job) -> None:
        ttl = self.limits.terminal_ttl_s if job.terminal else self.limits.ttl_s
        job.expires_at = self._clock() + ttl

    async def register_job(self, job_id: str, owner: str, kind: JobKind) -> None:
        job = self._job(job_id)
        if job is not None:
            if job.owner != owner:
                raise JobOwnerConflict(f"job {job_id} belongs to another user")
            return
        self._jobs[job_id] = _Job(
            owner=owner,
            kind=kind,
            history=deque(maxlen=self.limits.history_maxlen),
            expires_at=self._clock() + self.limits.ttl_s,
        )

    async def owner_of(self, job_id: str) -> str | None:
        job = self._job(job_id)
        return job.owner if job is not None else None

    def _registered(self, job_id: str) -> _Job:
        job = self._job(job_id)
        if job is None:
            raise JobNotRegistered(f"job {job_id} is not registered (or expired)")
        return job

    # ------------------------------------------------------------------ publish

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
        fields = progress_fields(stage, status, progress=progress, message=message, result=result)
        if tracer() is None:
            return self._progress(job_id, stage, status, fields)
        with appending(job_id, stage, status, fields):
            return self._progress(job_id, stage, status, fields)

    def _progress(
        self, job_id: str, stage: str, status: Status, fields: dict[str, str]
    ) -> StreamEvent | None:
        job = self._registered(job_id)
        member = dedupe_member(stage, status)
        if member in job.seen:
            return None
        job.seen.add(member)
        if "pr" in fields:
            job.progress = int(fields["pr"])
        else:
            fields["pr"] = str(job.progress)
        if stage == TERMINAL_STAGE:
            job.terminal = True
        event = self._append(job_id, job, fields)
        if job.state is None or (
            int(job.state["seq"]) < event.seq and job.state["ev"] != TERMINAL_STAGE
        ):
            job.state = dict(job.history[-1])
        return event

    async def publish_token(self, job_id: str, content: str, *, node: str) -> StreamEvent:
        return self._text(job_id, content, node, rewrite=False)

    async def publish_rewrite(self, job_id: str, text: str, *, node: str) -> StreamEvent:
        return self._text(job_id, text, node, rewrite=True)

    def _text(self, job_id: str, content: str, node: str, *, rewrite: bool) -> StreamEvent:
        """A token appends to the snapshot's text, a rewrite replaces it."""
        job = self._registered(job_id)
        event = self._append(job_id, job, token_fields(content, node, rewrite=rewrite))
        if rewrite:
            job.text.clear()
        job.text.append(content)
        job.token_seq = event.seq
        return event

    def _append(self, job_id: str, job: _Job, fields: dict[str, str]) -> StreamEvent:
        job.seq += 1
        entry = {**fields, "seq": str(job.seq), "kind": job.kind}
        job.history.append(entry)  # the deque's maxlen trims the oldest, like XADD MAXLEN
        self._touch(job)
        event = event_from_fields(job_id, entry)
        for feed in list(self._feeds):  # the router's step, inline
            feed.put(event)
        return event

    # ------------------------------------------------------------------ read

    async def read_since(self, job_id: str, after_seq: int, limit: int = 1000) -> History:
        job = self._job(job_id)
        if job is None:
            return History(events=[], trimmed=False)
        kept = [e for e in job.history if int(e["seq"]) > after_seq][:limit]
        first = int(kept[0]["seq"]) if kept else None
        return History(
            events=[event_from_fields(job_id, e) for e in kept],
            trimmed=is_trimmed(after_seq, first, job.seq),
        )

    async def latest_state(self, job_id: str) -> JobState | None:
        job = self._job(job_id)
        if job is None or job.state is None:
            return None
        return state_from_fields(job_id, job.state)

    async def token_snapshot(self, job_id: str) -> TokenSnapshot | None:
        job = self._job(job_id)
        if job is None or not job.token_seq:
            return None
        return TokenSnapshot(
            accumulated="".join(job.text), last_seq=job.token_seq, completed=job.terminal
        )

    def live(self) -> AsyncIterator[StreamEvent]:
        return LiveFeed(self)

    async def close(self) -> None:
        for feed in list(self._feeds):
            await feed.aclose()
