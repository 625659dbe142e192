"""Progress for stage functions: stage events, tokens and the terminal `done`, on the event bus.

    progress = Progress(event_bus, job_id)
    await progress.queued()                       # the job is on its way (progress 0)
    async with progress.stage("vision", start=10, end=40):
        ...                                       # started at 10 %, completed at 40 %
    await progress.token(delta, node="answer")    # shares the job's seq with the stages
    await progress.done(result={...})             # terminal: completed, progress 100

This is the one way handlers report progress: none calls `emit` itself. A stage that raises
emits `<stage> failed` and re-raises (the broker may retry it) — unless it says
`failures=False`: its failure is then reported once, when the broker gives up (the dead-letter
notice's handler calls `fail(error, stage=...)`). When the job gives up — the last stage failed
for good, or the kit dead-letters it — `fail(error)` emits the terminal `done` with status
`failed`; `async with progress.job():` does that for any exception escaping its block. A job
never ends in silence.

Everything is idempotent under redelivery: the bus keeps one event per (job, stage, status)
and one `done` per job, so a re-run emits nothing twice (tokens excepted: a re-run stage
streams its tokens again; see docs/adr/0006-event-streams.md).

The bus itself (memory in embedded mode, Redis in real mode) is built in `wiring.py`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from eventing.bus.port import TERMINAL_STAGE, EventBus, Status, StreamEvent
from functions.kit.errors import Eco2Error, http_status_and_code

log = logging.getLogger(__name__)


def public_message(error: BaseException | str) -> str:
    """What a client may read about a failure: a domain error's detail, else its code only."""
    if isinstance(error, str):
        return error
    if isinstance(error, Eco2Error):
        return error.detail
    return http_status_and_code(error)[1]


QUEUED_STAGE = "queued"


class Stage:
    """A stage in progress, as `Progress.stage` yields it."""

    __slots__ = ("completes", "note")

    def __init__(self) -> None:
        self.completes = True
        self.note: str | None = None

    def say(self, message: str | None) -> None:
        """The `completed` event's message: what the stage found, or why it found nothing."""
        self.note = message

    def abandon(self) -> None:
        """The job ended another way meanwhile (it failed for good): no `completed` event."""
        self.completes = False


class Progress:
    def __init__(self, bus: EventBus, job_id: str) -> None:
        self.bus = bus
        self.job_id = job_id

    async def emit(
        self,
        stage: str,
        status: Status,
        *,
        progress: int | None = None,
        message: str | None = None,
        result: Mapping[str, Any] | None = None,
    ) -> StreamEvent | None:
        """One stage event; None when this (stage, status) was already emitted."""
        return await self.bus.publish_progress(
            self.job_id, stage, status, progress=progress, message=message, result=result
        )

    @contextlib.asynccontextmanager
    async def stage(
        self,
        name: str,
        *,
        start: int | None = None,
        end: int | None = None,
        message: str | None = None,
        failures: bool = True,
    ) -> AsyncIterator[Stage]:
        """`started` (at `start` %) on entry, `completed` (at `end` %) on exit unless the block
        `abandon()`s it; `failed` when the block raises (not with `failures=False`: the
        broker's retries come first), then the exception propagates unchanged."""
        await self.emit(name, "started", progress=start, message=message)
        stage = Stage()
        try:
            yield stage
        except Exception as exc:
            if failures:
                await self._quietly(self.emit(name, "failed", message=public_message(exc)))
            raise
        if stage.completes:
            await self.emit(name, "completed", progress=end, message=stage.note)

    async def queued(self) -> StreamEvent | None:
        """The job is on its way (`queued` completed, progress 0): a stream's first event."""
        return await self.emit(QUEUED_STAGE, "completed", progress=0)

    async def token(self, content: str, *, node: str) -> StreamEvent:
        return await self.bus.publish_token(self.job_id, content, node=node)

    async def rewrite(self, text: str, *, node: str) -> StreamEvent:
        """The text shown so far becomes `text` (a `token_recovery` in the stream)."""
        return await self.bus.publish_rewrite(self.job_id, text, node=node)

    async def done(
        self,
        result: Mapping[str, Any] | None = None,
        *,
        failed: bool = False,
        message: str | None = None,
    ) -> StreamEvent | None:
        """The terminal event (progress 100). A job ends once: later calls return None."""
        status: Status = "failed" if failed else "completed"
        return await self.emit(TERMINAL_STAGE, status, message=message, result=result)

    async def fail(
        self,
        error: BaseException | str,
        *,
        result: Mapping[str, Any] | None = None,
        stage: str | None = None,
    ) -> StreamEvent | None:
        """End the job as failed (`done`, status `failed`), with a message fit for the client;
        with `stage`, that stage's `failed` first (a stage that gave up for good)."""
        message = public_message(error)
        if stage is not None:
            await self.emit(stage, "failed", message=message)
        return await self.done(result, failed=True, message=message)

    @contextlib.asynccontextmanager
    async def job(self) -> AsyncIterator[Progress]:
        """Any exception escaping the block ends the job (`fail`) and then propagates."""
        try:
            yield self
        except Exception as exc:
            await self._quietly(self.fail(exc))
            raise

    async def _quietly(self, publishing: Any) -> None:
        """Publish on an error path: a bus failure is logged, never hides the original error."""
        try:
            await publishing
        except Exception:
            log.exception("job %s: could not publish a failure event", self.job_id)


# ---------------------------------------------------------------------- the kit's wiring
