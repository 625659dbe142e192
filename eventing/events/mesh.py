"""The mesh's own events: the canary probe and its echo, and the dead-letter notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventing.catalog import EventData, EventSpec


class CanaryRequested(EventData):
    probe_id: str
    sent_at: datetime


class CanaryEchoed(EventData):
    probe_id: str
    sent_at: datetime
    echoed_at: datetime


DEAD_LETTERED = "kr.eco2.mesh.dead_lettered.v1"
ORIGIN_TYPE = "origintype"  # extension on a notice: the dead event's type, for trigger filters


class DeadLettered(EventData):
    """A notice that a trigger gave up on an event, so the domain that owns the work can end it
    visibly (e.g. a scan job's terminal failed `done`) instead of leaving clients waiting."""

    trigger: str
    error: str  # the whole cause, for operators; never parsed
    attempts: int
    event_type: str
    event_source: str
    event_id: str
    subject: str | None = None
    data: dict[str, Any] | None = None  # the dead event's JSON payload
    # The failure's kind (the exception's class, or `HTTP <status>` from Knative's dispatcher):
    # what the owner of the work may act on or show, without parsing `error`.
    error_type: str | None = None


PING = "dev.knative.sources.ping"


class Ping(EventData):
    """A tick for a scheduled function (the data its PingSource is configured to send)."""

    function: str


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
    EventSpec(
        type=DEAD_LETTERED,
        source="/eco2/mesh/dead-letters",
        data=DeadLettered,
        version="v1",
        description="A trigger dead-lettered an event; carries the cause and the event's data.",
    ),
    EventSpec(
        type=PING,
        source="/apis/v1/namespaces/eco2/pingsources",
        data=Ping,
        version="v1",
        description="A PingSource's tick (locally: the mesh's ticker) for a scheduled function.",
        foreign=True,
    ),
)
