"""The mesh's own events: the canary probe and its echo."""

from __future__ import annotations

from datetime import datetime

from eventing.catalog import EventData, EventSpec


class CanaryRequested(EventData):
    probe_id: str
    sent_at: datetime


class CanaryEchoed(EventData):
    probe_id: str
    sent_at: datetime
    echoed_at: datetime


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        type="kr.eco2.mesh.canary.requested.v1",
        source="/eco2/mesh/canary",
        data=CanaryRequested,
        version="v1",
        description="A synthetic probe sent through the broker to prove the mesh delivers.",
    ),
    EventSpec(
        type="kr.eco2.mesh.canary.echoed.v1",
        source="/eco2/mesh/canary-echo",
        data=CanaryEchoed,
        version="v1",
        description="The canary echo function's reply, routed back through the broker.",
    ),
)
