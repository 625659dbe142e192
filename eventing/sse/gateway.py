"""The gateway: owner check, then one `StreamSession` per client over the shared hub.

Shutdown: when uvicorn starts draining (SIGTERM), sse-starlette signals every open response;
the gateway then drains as a whole — new subscriptions get 503 and each open stream ends with
a `keepalive` carrying a jittered `retry:` hint, so EventSource reconnects (to another
replica) with `Last-Event-ID` and resumes exactly. See docs/adr/0008-sse-gateway.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import cast

import anyio
from sse_starlette import EventSourceResponse
from starlette.responses import JSONResponse, Response

from eventing.bus.port import EventBus
from eventing.errors import EventingError, error_body
from eventing.sse.config import GatewayConfig
from eventing.sse.errors import GatewayDraining, StreamNotFound, StreamUnavailable
from eventing.sse.hub import FanOutHub
from eventing.sse.metrics import GatewayMetrics
from eventing.sse.reads import BoundedReads
from eventing.sse.session import StreamSession

log = logging.getLogger(__name__)
Describe = Callable[[BaseException], tuple[int, str]]  # an error's HTTP status and code


class _DrainOnShutdown:
    """What sse-starlette `.set()`s when the server shuts down: it drains the whole gateway
    (one shared object instead of an event per response that someone would have to watch)."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway

    def set(self) -> None:
        self._gateway.drain()


def parse_last_event_id(value: str | None) -> int:
    """The seq to resume after; anything unusable means "from the start" (a replay is
    always correct, a guessed position is not)."""
    if not value:
        return 0
    try:
        return max(0, int(value.strip()))
    except ValueError:
        return 0


def unavailable(describe: Describe) -> JSONResponse:
    """503 in the contract's error format (status and code from the host's error table),
    with a hint when to come back."""
    error = StreamUnavailable("event stream temporarily unavailable")
    status, code = describe(error)
    return JSONResponse(error_body(str(error), code), status, headers={"Retry-After": "2"})


class Gateway:
    def __init__(
        self,
        bus: EventBus,
        config: GatewayConfig | None = None,
        metrics: GatewayMetrics | None = None,
        describe: Describe | None = None,
    ) -> None:
        """`describe` is the host's error table; without one, a bus failure at subscription
        is raised (`StreamUnavailable`) for the host's exception handler to answer."""
        self.bus = bus
        self._describe = describe
        self.config = config or GatewayConfig()
        self.metrics = metrics or GatewayMetrics()
        self.hub = FanOutHub(bus, self.metrics)
        self.reads = BoundedReads(bus, self.config.max_concurrent_reads)
        self._on_shutdown = cast(anyio.Event, _DrainOnShutdown(self))

    async def open(self, job_id: str, user: str, last_event_id: str | None) -> Response:
        if self.hub.draining:
            self.metrics.rejected["draining"] += 1
            raise GatewayDraining("server restarting, reconnect")
        try:
            owner = await self.reads.owner_of(job_id)
        except EventingError as exc:  # the bus: Redis down, timeouts, a full pool
            # Answered here, not raised: in a reconnect storm the kit's handler would log a
            # traceback per refused client, which is the last thing a struggling replica needs.
            log.warning("owner of job %s unreadable: %r", job_id, exc)
            self.metrics.rejected["unavailable"] += 1
            if self._describe is None:
                raise StreamUnavailable("event stream temporarily unavailable") from exc
            return unavailable(self._describe)
        if owner != user:
            self.metrics.rejected["not_found"] += 1
            raise StreamNotFound("job not found")
        session = StreamSession(
            self.reads,
            self.hub,
            self.metrics,
            self.config,
            job_id=job_id,
            after_seq=parse_last_event_id(last_event_id),
        )
        return EventSourceResponse(
            session.frames(),
            ping=0,  # our own named keepalive (with id) replaces sse-starlette's comment ping
            sep="\n",
            shutdown_event=self._on_shutdown,
            shutdown_grace_period=self.config.drain_grace_s,
        )

    def drain(self) -> None:
        if not self.hub.draining:
            log.info("draining SSE gateway")
        self.hub.drain()

    async def close(self) -> None:
        await self.hub.close()
