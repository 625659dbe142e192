"""Publishing catalogued events from domain code, without naming types or sources by hand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cloudevents.http import CloudEvent

from eventing.catalog import PARTITION_KEY, Catalog, EventData
from eventing.tracing import producing, tracer


class Publisher:
    def __init__(self, catalog: Catalog, send: Callable[[CloudEvent], Awaitable[None]]) -> None:
        self._catalog = catalog
        self._send = send

    async def publish(
        self,
        data: EventData,
        *,
        event_id: str | None = None,
        subject: str | None = None,
        partition_key: str | None = None,
    ) -> CloudEvent:
        """Publish and return the event once the broker has durably accepted it.

        Pass a stable `event_id` when the caller may retry (an idempotency key from the client),
        so a retried publish is the same event and is processed once.
        """
        extensions = {PARTITION_KEY: partition_key} if partition_key else None
        event = self._catalog.make(data, event_id=event_id, subject=subject, extensions=extensions)
        if tracer() is None:
            await self._send(event)
        else:  # a producer span; the event carries it (`traceparent`) to its consumers
            with producing(event):
                await self._send(event)
        return event
