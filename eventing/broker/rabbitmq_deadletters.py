"""Dead letters in RabbitMQ: the cause travels as headers next to the original event.

Listing and replay read the dead-letter queue with basic.get and hold what they read unacked
until they are done, so a crashed CLI run returns every message to the queue untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection, FieldValue
from cloudevents.http import CloudEvent

from eventing.broker.port import DeadLetter
from eventing.broker.rabbitmq_topology import Names
from eventing.codec import from_amqp
from eventing.errors import MalformedEventError

ID = "x-eco2-dead-letter-id"
TRIGGER = "x-eco2-trigger"
ATTEMPTS = "x-eco2-attempts"
ERROR = "x-eco2-error"
FAILED_AT = "x-eco2-failed-at"
MAX_SCAN = 10_000

PublishFn = Callable[[str, str, aio_pika.Message], Awaitable[None]]
MessageFn = Callable[[CloudEvent], aio_pika.Message]


def cause_headers(trigger: str, attempts: int, error: str) -> dict[str, FieldValue]:
    return {
        ID: str(uuid.uuid4()),
        TRIGGER: trigger,
        ATTEMPTS: attempts,
        ERROR: error,
        FAILED_AT: datetime.now(UTC).isoformat(),
    }


def _text(headers: Mapping[str, Any], name: str) -> str:
    value = headers.get(name, "")
    return value.decode() if isinstance(value, bytes) else str(value)


def _decode(message: AbstractIncomingMessage) -> DeadLetter:
    headers = message.headers
    try:
        event: CloudEvent | None = from_amqp(headers, message.content_type, message.body)
    except MalformedEventError:
        event = None  # kept and listed, but replaying it could only fail again
    return DeadLetter(
        id=_text(headers, ID),
        trigger=_text(headers, TRIGGER),
        event=event,
        attempts=int(_text(headers, ATTEMPTS) or 0),
        error=_text(headers, ERROR),
        failed_at=datetime.fromisoformat(_text(headers, FAILED_AT)),
    )


async def _drain(
    channel: aio_pika.abc.AbstractChannel, names: Names, limit: int
) -> list[AbstractIncomingMessage]:
    queue = await channel.get_queue(names.dead_letter_queue, ensure=False)
    taken: list[AbstractIncomingMessage] = []
    while len(taken) < limit:
        message = await queue.get(no_ack=False, fail=False)
        if message is None:
            break
        taken.append(message)
    return taken


async def list_dead_letters(
    conn: AbstractRobustConnection, names: Names, limit: int
) -> list[DeadLetter]:
    async with conn.channel() as channel:
        taken = await _drain(channel, names, limit)
        letters = [_decode(m) for m in taken]
        for message in taken:
            await message.nack(requeue=True)
    return letters


async def replay(
    conn: AbstractRobustConnection,
    names: Names,
    ids: Sequence[str] | None,
    publish: PublishFn,
    message_for: MessageFn,
) -> int:
    """Send chosen dead letters straight to their trigger's queue with a fresh attempt count."""
    wanted = None if ids is None else set(ids)
    replayed = 0
    async with conn.channel() as channel:
        taken = await _drain(channel, names, MAX_SCAN)
        for message in taken:
            letter = _decode(message)
            if letter.event is None or (wanted is not None and letter.id not in wanted):
                await message.nack(requeue=True)
                continue
            await publish("", names.trigger_queue(letter.trigger), message_for(letter.event))
            await message.ack()
            replayed += 1
    return replayed
