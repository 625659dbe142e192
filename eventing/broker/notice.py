"""The dead-letter notice: what a trigger publishes when it gives up on an event.

A dead letter kept for operators is not enough for a user waiting on a job: the domain that
owns the work subscribes to these notices (filtered on the dead event's type) and ends the job
visibly. The notice id is derived from the dead event, so a repeated give-up is one notice.
"""

from __future__ import annotations

import uuid
from typing import Any

from cloudevents.http import CloudEvent

from eventing.events.mesh import DEAD_LETTERED, ORIGIN_TYPE, DeadLettered

NOTICE_SOURCE = "/eco2/mesh/dead-letters"
NOTICE_NAMESPACE = uuid.UUID("0d5e2b8a-3f61-4f0e-9d0c-6b1f7a2e4c90")


def is_notice(event: CloudEvent) -> bool:
    """Notices are never noticed again: a failing notice handler must not loop."""
    return str(event["type"]) == DEAD_LETTERED


def notice_for(
    trigger: str,
    event: CloudEvent,
    attempts: int,
    error: str,
    error_type: str | None = None,
) -> CloudEvent:
    """The notice for `event`, which `trigger` gave up on after `attempts` attempts; the
    failure's kind travels as its own field (`error_type`), never inside `error`."""
    payload = event.get_data()
    data = DeadLettered(
        trigger=trigger,
        error=error[:2000],
        error_type=error_type,
        attempts=attempts,
        event_type=str(event["type"]),
        event_source=str(event["source"]),
        event_id=str(event["id"]),
        subject=event.get("subject"),
        data=payload if isinstance(payload, dict) else None,
    )
    seed = f"{trigger}|{event['source']}|{event['id']}"
    attributes: dict[str, Any] = {
        "type": DEAD_LETTERED,
        "source": NOTICE_SOURCE,
        "id": str(uuid.uuid5(NOTICE_NAMESPACE, seed)),
        "datacontenttype": "application/json",
        ORIGIN_TYPE: str(event["type"]),
    }
    if event.get("subject"):
        attributes["subject"] = str(event["subject"])
    return CloudEvent(attributes, data.model_dump(mode="json"))
