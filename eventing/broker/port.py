"""The broker port: publish events, subscribe triggers, inspect and replay dead letters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from cloudevents.http import CloudEvent

from eventing.broker.policy import DeliveryPolicy
from eventing.filters import AttributeFilter


class Subscriber(Protocol):
    """Whatever receives a delivered event: an in-process function or a remote HTTP sink.

    It returns the reply events (Knative's reply contract), which the broker publishes onward.
    """

    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]: ...


@dataclass(frozen=True, slots=True)
class Subscription:
    """A trigger bound to its subscriber: Knative's Trigger plus the dispatcher settings."""

    name: str
    subscriber: Subscriber
    filters: tuple[AttributeFilter, ...] = ()
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    concurrency: int = 16
    ordered_by: str | None = None  # attribute whose equal values are delivered in order
    replies: tuple[str, ...] | None = None  # reply types allowed; None = any catalogued type


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A dead-lettered event with its cause, kept until it is replayed."""

    id: str
    trigger: str
    event: CloudEvent | None  # None when the message was not a decodable CloudEvent
    attempts: int
    error: str
    failed_at: datetime


@dataclass(frozen=True, slots=True)
class Health:
    ready: bool
    detail: str


class Broker(Protocol):
    def subscribe(self, subscription: Subscription) -> None:
        """Register a trigger; only before `start`."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, event: CloudEvent) -> None:
        """Return only once the event is durably accepted (publisher confirm in RabbitMQ)."""

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...

    async def record_dead_letter(
        self, trigger: str, event: CloudEvent, attempts: int, error: str
    ) -> None:
        """Keep a dead letter that another dispatcher (Knative's) gave up on."""

    async def replay(self, ids: Sequence[str] | None = None) -> int:
        """Re-deliver dead letters (all when `ids` is None) to their trigger; returns the count."""

    def health(self) -> Health: ...


class DeliveryObserver(Protocol):
    """What the dispatcher reports about deliveries (the process's metrics, when it has any).

    `outcome` is `ack`, `retry` (a failed attempt that will be retried), `busy` (held by
    another delivery: no attempt counted) or `dead`."""

    def delivered(self, trigger: str, outcome: str) -> None: ...

    def handled(self, trigger: str, seconds: float) -> None:
        """How long one handler run took, failed or not."""
