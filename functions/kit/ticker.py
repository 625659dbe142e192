"""The local stand-in for Knative PingSources: each scheduled function this process consumes
gets its tick published to the broker on its schedule, so it runs through the same trigger,
retries and idempotency as deployed. Several processes ticking the same schedule is fine:
a scheduled function must be idempotent (deployed, a PingSource may deliver twice too)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence

from cloudevents.http import CloudEvent

from eventing.events.mesh import PING
from functions.kit.declare import Function, ping_source

log = logging.getLogger(__name__)
Publish = Callable[[CloudEvent], Awaitable[None]]


def tick(fn: Function, namespace: str) -> CloudEvent:
    """The event a PingSource named after `fn` sends."""
    attributes = {
        "type": PING,
        "source": ping_source(fn.name, namespace),
        "id": str(uuid.uuid4()),
        "datacontenttype": "application/json",
    }
    return CloudEvent(attributes, {"function": fn.name})


class Tickers:
    def __init__(self, publish: Publish, namespace: str, interval_s: float | None = None) -> None:
        self._publish = publish
        self._namespace = namespace
        self._interval_s = interval_s  # overrides every schedule's period (tests, demos)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, functions: Sequence[Function]) -> None:
        for fn in functions:
            if fn.schedule is not None:
                period = self._interval_s or fn.schedule.minutes * 60.0
                self._tasks.append(asyncio.create_task(self._run(fn, period)))

    async def _run(self, fn: Function, period_s: float) -> None:
        while True:
            await asyncio.sleep(period_s)
            try:
                await self._publish(tick(fn, self._namespace))
            except Exception as exc:  # the next tick tries again
                log.warning("tick for %s not published: %s", fn.name, exc)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
