"""The event catalog: the one place where CloudEvent types are named.

Each entry fixes a type's source, the pydantic model of its data and its version, so a
producer cannot invent a type or a payload shape and a consumer can validate what it gets.
"""

from __future__ import annotations

import builtins
import importlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cloudevents.http import CloudEvent
from pydantic import BaseModel, ConfigDict, ValidationError

from eventing.errors import MalformedEventError, UnknownEventTypeError

PARTITION_KEY = "partitionkey"  # CloudEvents partitioning extension
PROPAGATED_EXTENSIONS = (PARTITION_KEY, "traceparent", "tracestate")
_VALIDATED = "_eco2_validated_data"  # where `Catalog.parse` keeps a delivery's data


class EventData(BaseModel):
    """Base of every event payload: unknown fields are rejected so typos fail loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class EventSpec:
    type: str
    source: str
    data: builtins.type[EventData]
    version: str
    description: str
    foreign: bool = False  # named by someone else (Knative's PingSource): no version suffix

    def __post_init__(self) -> None:
        if not self.foreign and not self.type.endswith(f".{self.version}"):
            raise ValueError(f"{self.type}: the type name must end with its version {self.version}")


class Catalog:
    """Lookup, construction and validation of catalogued events."""

    def __init__(self, specs: Iterable[EventSpec]) -> None:
        self._specs: dict[str, EventSpec] = {}
        for spec in specs:
            if spec.type in self._specs:
                raise ValueError(f"event type {spec.type} is catalogued twice")
            self._specs[spec.type] = spec

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._specs

    def __iter__(self) -> Any:
        return iter(self._specs.values())

    def extended(self, specs: Iterable[EventSpec]) -> Catalog:
        return Catalog([*self._specs.values(), *specs])

    def spec(self, event_type: str) -> EventSpec:
        try:
            return self._specs[event_type]
        except KeyError:
            raise UnknownEventTypeError(
                f"event type {event_type!r} is not in the catalog"
            ) from None

    def make(
        self,
        data: EventData,
        *,
        event_id: str | None = None,
        subject: str | None = None,
        extensions: Mapping[str, str] | None = None,
    ) -> CloudEvent:
        """Build the CloudEvent for a payload; its type and source come from the catalog."""
        spec = self._spec_for_model(type(data))
        attributes: dict[str, Any] = {
            "type": spec.type,
            "source": spec.source,
            "id": event_id or str(uuid.uuid4()),
            "time": datetime.now(UTC).isoformat(),
            "datacontenttype": "application/json",
        }
        if subject:
            attributes["subject"] = subject
        attributes.update(extensions or {})
        return CloudEvent(attributes, data.model_dump(mode="json"))

    def parse(self, event: CloudEvent) -> EventData:
        """Validate an event's data against its catalogued model, once per delivery.

        Every delivery decodes its own CloudEvent object (a broker message, an HTTP request);
        the validated data is kept on that object, so whoever asks again on the way to the
        handler (the host's early 400, then the handler's `data`) gets it without a second
        validation.
        """
        spec = self.spec(str(event["type"]))
        kept = getattr(event, _VALIDATED, None)
        if isinstance(kept, spec.data):
            return kept
        try:
            data = spec.data.model_validate(event.get_data() or {})
        except ValidationError as exc:
            raise MalformedEventError(
                f"{spec.type}: data does not match its schema: {exc}"
            ) from exc
        setattr(event, _VALIDATED, data)
        return data

    def _spec_for_model(self, model: type[EventData]) -> EventSpec:
        found = [s for s in self._specs.values() if s.data is model]
        if len(found) != 1:
            raise UnknownEventTypeError(f"{model.__name__} is catalogued {len(found)} times, not 1")
        return found[0]


# --- the catalogue -----------------------------------------------------------------------
# Each domain's event types live in eventing/events/<domain>.py (an `EVENTS` tuple); this list
# is where they are all brought together, so a type exists only once it is named here.

DOMAIN_EVENT_MODULES: tuple[str, ...] = (
    "eventing.events.mesh",
    "eventing.events.auth",
    "eventing.events.users",
    "eventing.events.character",
    "eventing.events.scan",
    "eventing.events.chat",
    "eventing.events.eval",
)


def default_catalog() -> Catalog:
    specs: list[EventSpec] = []
    for name in DOMAIN_EVENT_MODULES:
        specs.extend(importlib.import_module(name).EVENTS)
    return Catalog(specs)
