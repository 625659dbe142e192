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

This module is also the kit's wiring of the bus: the `event_bus` provider (memory in embedded
mode, Redis in real mode) and the event router started in the local mesh's real mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from eventing.bus.limits import BusLimits
from eventing.bus.port import TERMINAL_STAGE, EventBus, Status, StreamEvent
from functions.kit.errors import Eco2Error, http_status_and_code
from functions.kit.settings import Settings

if TYPE_CHECKING:
    from eventing.router.router import EventRouter, RouterConfig
    from functions.kit.container import Container

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

    __slots__ = ("completes",)

    def __init__(self) -> None:
        self.completes = True

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
            await self.emit(name, "completed", progress=end)

    async def queued(self) -> StreamEvent | None:
        """The job is on its way (`queued` completed, progress 0): a stream's first event."""
        return await self.emit(QUEUED_STAGE, "completed", progress=0)

    async def token(self, content: str, *, node: str) -> StreamEvent:
        return await self.bus.publish_token(self.job_id, content, node=node)

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


def bus_limits(settings: Settings) -> BusLimits:
    return BusLimits(
        shards=settings.bus_shards,
        history_maxlen=settings.bus_history_maxlen,
        shard_maxlen=settings.bus_shard_maxlen,
        ttl_s=settings.bus_ttl_s,
        terminal_ttl_s=settings.bus_terminal_ttl_s,
    )


def router_config(settings: Settings) -> RouterConfig:
    """The router's knobs from settings; its consumer name is `router_consumer`, else the
    pod's name (`hostname`, from HOSTNAME) plus the pid."""
    from eventing.router.router import (  # noqa: PLC0415 - real mode only
        RouterConfig,
        default_consumer_name,
    )

    return RouterConfig(
        consumer=settings.router_consumer or default_consumer_name(settings.hostname),
        batch=settings.router_batch,
        claim_min_idle_ms=settings.router_claim_min_idle_ms,
    )


async def event_bus(container: Container) -> EventBus:
    """Provider: the in-memory bus in embedded mode, the Redis one in real mode."""
    settings = container.settings
    if settings.mode == "embedded":
        from eventing.bus.memory import InMemoryEventBus  # noqa: PLC0415

        memory = InMemoryEventBus(bus_limits(settings))
        container.on_close(memory.close)
        return memory
    from eventing.bus.redis_streams import RedisEventBus  # noqa: PLC0415

    return RedisEventBus(
        await container.redis(), prefix=settings.redis_prefix, limits=bus_limits(settings)
    )


async def start_event_router(container: Container) -> EventRouter | None:
    """Run the event router as a task of this process (the local mesh in real mode; deployed,
    it is its own Deployment). Embedded mode needs none: the in-memory bus routes inline."""
    settings = container.settings
    if settings.mode == "embedded":
        return None
    from eventing.bus.keys import BusKeys  # noqa: PLC0415
    from eventing.router.router import EventRouter  # noqa: PLC0415

    router = EventRouter(
        await container.redis(),
        BusKeys(settings.redis_prefix, settings.bus_shards),
        router_config(settings),
    )
    task = asyncio.create_task(router.run(), name="event-router")

    def ended(done: asyncio.Task[None]) -> None:  # run() only returns when stopped
        if not done.cancelled() and done.exception() is not None:
            log.error("the event router stopped", exc_info=done.exception())

    task.add_done_callback(ended)

    async def stop() -> None:
        router.stop()
        try:
            await asyncio.wait_for(task, 5)
        except TimeoutError:
            task.cancel()

    container.on_close(stop)
    return router
