"""Knative RabbitMQ broker topology, named and declared in one place.

One headers exchange per broker; per trigger a durable queue bound with its exact-match filters
(`x-match: all` on `cloudEvents_*` headers), one delay queue per retry attempt that dead-letters
back into the trigger queue after its backoff, and one dead-letter exchange and queue per broker.
Retries therefore live in RabbitMQ, not in a consumer's memory: a crash mid-backoff loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from eventing.broker.dispatch import BUSY_DELAY_S
from eventing.broker.port import Subscription
from eventing.codec import AMQP_PREFIX
from eventing.filters import Dialect

ATTEMPT_HEADER = "x-eco2-attempt"


@dataclass(frozen=True, slots=True)
class Names:
    broker: str

    @property
    def exchange(self) -> str:
        return f"eco2.{self.broker}"

    @property
    def dead_letter_exchange(self) -> str:
        return f"eco2.{self.broker}.dlx"

    @property
    def dead_letter_queue(self) -> str:
        return f"eco2.{self.broker}.dead-letters"

    def trigger_queue(self, trigger: str) -> str:
        return f"eco2.{self.broker}.t.{trigger}"

    def hold_queue(self, trigger: str) -> str:
        """Where a duplicate waits while another delivery of the same event is running."""
        return f"{self.trigger_queue(trigger)}.hold"

    def retry_queue(self, trigger: str, attempt: int) -> str:
        """Where a message waits after failing `attempt`, before attempt + 1."""
        return f"{self.trigger_queue(trigger)}.retry.{attempt}"


def binding_arguments(sub: Subscription) -> dict[str, Any]:
    """Exact filters go to the exchange; prefix/suffix are checked by the dispatcher."""
    args: dict[str, Any] = {"x-match": "all"}
    for f in sub.filters:
        if f.dialect is Dialect.EXACT:
            args[AMQP_PREFIX + f.attribute] = f.value
    return args


def _queue_args(queue_type: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    args: dict[str, Any] = {"x-queue-type": queue_type}
    args.update(extra or {})
    return args


async def declare_broker(
    channel: AbstractChannel, names: Names, queue_type: str
) -> tuple[AbstractExchange, AbstractExchange, AbstractQueue]:
    exchange = await channel.declare_exchange(
        names.exchange, aio_pika.ExchangeType.HEADERS, durable=True
    )
    dlx = await channel.declare_exchange(
        names.dead_letter_exchange, aio_pika.ExchangeType.FANOUT, durable=True
    )
    dlq = await channel.declare_queue(
        names.dead_letter_queue, durable=True, arguments=_queue_args(queue_type)
    )
    await dlq.bind(dlx)
    return exchange, dlx, dlq


async def declare_trigger(
    channel: AbstractChannel, names: Names, sub: Subscription, queue_type: str
) -> AbstractQueue:
    main = names.trigger_queue(sub.name)
    extra = {"x-single-active-consumer": True} if sub.ordered_by else None
    queue = await channel.declare_queue(
        main, durable=True, arguments=_queue_args(queue_type, extra)
    )
    await queue.bind(names.exchange, routing_key="", arguments=binding_arguments(sub))
    if sub.ordered_by is not None:  # ordered triggers retry in place to keep their order
        return queue
    delays = {names.hold_queue(sub.name): BUSY_DELAY_S}
    for attempt in range(1, sub.delivery.max_attempts):
        delays[names.retry_queue(sub.name, attempt)] = sub.delivery.delay_before(attempt + 1)
    for name, delay_s in delays.items():
        await channel.declare_queue(
            name,
            durable=True,
            arguments=_queue_args(
                queue_type,
                {
                    "x-message-ttl": int(delay_s * 1000),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": main,
                },
            ),
        )
    return queue
