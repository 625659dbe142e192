"""Turning a declared handler into a broker subscriber.

Dependencies are injected by parameter name (cosmicpython's bootstrap style): `event` is the
CloudEvent, `data` its payload validated against the catalog (once per delivery: a host that
validated it first hands the same object on), anything else comes from the composition root.
Replies get deterministic ids derived from the cause, so a re-run after a crash emits the
*same* events and downstream idempotency drops the copies.
"""

from __future__ import annotations

import importlib
import inspect
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudevents.http import CloudEvent

from eventing.catalog import PROPAGATED_EXTENSIONS, Catalog, EventData
from functions.kit.declare import Function

REPLY_NAMESPACE = uuid.UUID("6f0b7c1e-4e0a-4d9c-9a57-2c3f5e0d7a11")
INJECTED_BY_KIT = frozenset({"event", "data"})


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply with explicit attributes; a bare `EventData` is a reply with none."""

    data: EventData
    subject: str | None = None
    extensions: Mapping[str, str] = field(default_factory=dict)


HandlerResult = None | EventData | Reply | Sequence[EventData | Reply]


def resolve(path: str) -> Any:
    """Import "module:attribute" lazily, so a process loads only the handlers it runs."""
    module_name, _, attribute = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


class LocalFunction:
    """A declared event function run in this process; implements the broker's Subscriber."""

    def __init__(
        self,
        fn: Function,
        catalog: Catalog,
        target: Callable[..., Awaitable[HandlerResult]],
        kwargs: Mapping[str, Any],
    ) -> None:
        if not inspect.iscoroutinefunction(target):
            raise TypeError(f"{fn.name}: handler {fn.handler} must be async")
        self.fn = fn
        self._catalog = catalog
        self._target = target
        params = inspect.signature(target).parameters
        self._wants_event = "event" in params
        self._wants_data = "data" in params
        self._kwargs = dict(kwargs)

    async def deliver(self, event: CloudEvent) -> list[CloudEvent]:
        kwargs = dict(self._kwargs)
        if self._wants_event:
            kwargs["event"] = event
        if self._wants_data:
            kwargs["data"] = self._catalog.parse(event)
        result = await self._target(**kwargs)
        return self.replies_for(event, result)

    def replies_for(self, cause: CloudEvent, result: HandlerResult) -> list[CloudEvent]:
        if result is None:
            items: Sequence[EventData | Reply] = ()
        elif isinstance(result, EventData | Reply):
            items = (result,)
        else:
            items = result
        inherited = {k: str(cause[k]) for k in PROPAGATED_EXTENSIONS if cause.get(k)}
        replies = []
        for index, item in enumerate(items):
            reply = item if isinstance(item, Reply) else Reply(item)
            seed = f"{self.fn.name}|{cause['source']}|{cause['id']}|{index}"
            replies.append(
                self._catalog.make(
                    reply.data,
                    event_id=str(uuid.uuid5(REPLY_NAMESPACE, seed)),
                    subject=reply.subject or cause.get("subject"),
                    extensions={**inherited, **reply.extensions},
                )
            )
        return replies
