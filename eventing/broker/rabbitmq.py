"""RabbitMQ broker adapter (aio-pika) with Knative RabbitMQ broker topology.

Publishes are persistent and wait for the publisher confirm; consumers ack only after the
dispatcher is done with a delivery, and a retry or dead letter is itself confirmed before the
original is acked, so a crash at any point redelivers rather than loses. The robust connection
reconnects after a broker restart and `health()` reports not-ready while it is down, instead of
silently consuming nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Sequence

import aio_pika
import aiormq
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection, FieldValue
from cloudevents.http import CloudEvent

from eventing.broker import rabbitmq_deadletters as dl
from eventing.broker.dispatch import LEASE_S, Ack, Classify, Dead, Dispatcher, Outcome
from eventing.broker.port import DeadLetter, DeliveryObserver, Health, Subscription
from eventing.broker.rabbitmq_topology import (
    ATTEMPT_HEADER,
    Names,
    declare_broker,
    declare_trigger,
)
from eventing.codec import from_amqp, to_amqp
from eventing.errors import BrokerUnavailableError, MalformedEventError, disposition_of
from eventing.idempotency import MemoryProcessedStore, ProcessedStore

log = logging.getLogger(__name__)
AMQP_ERRORS = (aio_pika.exceptions.AMQPException, ConnectionError, OSError, TimeoutError)
# What a publish meets while the robust connection is down or restoring its channels.
CHANNEL_ERRORS = (*AMQP_ERRORS, aiormq.exceptions.ChannelInvalidStateError, RuntimeError)


class RabbitMQBroker:
    def __init__(
        self,
        url: str,
        *,
        broker: str = "default",
        store: ProcessedStore | None = None,
        classify: Classify = disposition_of,
        queue_type: str = "classic",
        lease_s: float = LEASE_S,
        publish_timeout_s: float = 10.0,
        reconnect_interval_s: float = 1.0,
        observer: DeliveryObserver | None = None,
        drain_s: float = 0.0,
    ) -> None:
        self._url = url
        self._drain_s = drain_s
        self.names = Names(broker)
        self._queue_type = queue_type
        self._publish_timeout_s = publish_timeout_s
        self._reconnect_interval_s = reconnect_interval_s
        self._subs: dict[str, Subscription] = {}
        self._dispatcher = Dispatcher(
            self.publish, store or MemoryProcessedStore(), classify, lease_s, observer=observer
        )
        self._conn: AbstractRobustConnection | None = None
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._chains: dict[tuple[str, str], asyncio.Future[None]] = {}
        self._channels: list[aio_pika.abc.AbstractChannel] = []
        self._exchanges: dict[str, aio_pika.abc.AbstractExchange] = {}
        self._closing = False
        self._draining = False
        self._consumers: list[tuple[aio_pika.abc.AbstractQueue, str]] = []
        self._inflight: set[asyncio.Task[None]] = set()

    def subscribe(self, subscription: Subscription) -> None:
        if self._conn is not None:
            raise RuntimeError("subscribe before start")
        if subscription.name in self._subs:
            raise ValueError(f"trigger {subscription.name} is subscribed twice")
        self._subs[subscription.name] = subscription

    async def start(self) -> None:
        try:
            self._conn = await aio_pika.connect_robust(
                self._url, reconnect_interval=self._reconnect_interval_s
            )
            self._channel = await self._conn.channel(publisher_confirms=True)
            self._channels.append(self._channel)
            await declare_broker(self._channel, self.names, self._queue_type)
            for sub in self._subs.values():
                await self._consume(sub)
        except AMQP_ERRORS as exc:
            await self.close()
            raise BrokerUnavailableError(f"cannot start RabbitMQ broker: {exc}") from exc

    async def _consume(self, sub: Subscription) -> None:
        assert self._conn is not None
        channel = await self._conn.channel(publisher_confirms=False)
        self._channels.append(channel)
        await channel.set_qos(prefetch_count=sub.concurrency)
        queue = await declare_trigger(channel, self.names, sub, self._queue_type)

        async def on_message(message: AbstractIncomingMessage) -> None:
            if self._draining:  # arrived as the consumer was cancelled: someone else's now
                with contextlib.suppress(Exception):
                    await message.nack(requeue=True)
                return
            # aiormq cancels this callback when the connection drops; the handler runs in a
            # task of ours instead, so it finishes its work (saves, publishes once the robust
            # connection is back) and only the ack is lost: the redelivery is then a duplicate.
            task = asyncio.create_task(self._on_message(sub, message))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
            await asyncio.shield(task)

        self._consumers.append((queue, await queue.consume(on_message, no_ack=False)))

    async def close(self) -> None:
        """Drain, then stop: no new deliveries; the running ones get up to `drain_s` to
        finish, publish and ack (a scale-down must not cut every answer in flight and make
        each wait out its lease elsewhere); whatever still runs then is cancelled — its claim
        lapses and RabbitMQ redelivers it."""
        if self._closing:
            return
        await self._drain()
        self._closing = True
        for task in list(self._inflight):
            task.cancel()
        if self._conn is not None:
            with contextlib.suppress(*AMQP_ERRORS):
                await self._conn.close()

    async def _drain(self) -> None:
        self._draining = True
        for queue, tag in self._consumers:
            with contextlib.suppress(*CHANNEL_ERRORS):
                await queue.cancel(tag)
        if self._inflight and self._drain_s > 0:
            log.info("draining %d delivery(ies), up to %gs", len(self._inflight), self._drain_s)
            await asyncio.wait(list(self._inflight), timeout=self._drain_s)

    def health(self) -> Health:
        """Ready only while connected *and* every channel is restored and consuming."""
        if self._conn is None or self._closing:
            return Health(False, "RabbitMQ broker not started")
        if not self._conn.connected.is_set():
            return Health(False, "RabbitMQ connection lost; reconnecting")
        closed = [c for c in self._channels if c.is_closed]
        if closed:
            return Health(False, f"{len(closed)} RabbitMQ channel(s) not yet restored")
        return Health(True, f"RabbitMQ connected, {len(self._subs)} trigger(s) consuming")

    async def publish(self, event: CloudEvent) -> None:
        await self._publish(self.names.exchange, "", self._message(event))

    async def _publish(self, exchange: str, routing_key: str, message: aio_pika.Message) -> None:
        """Publish and wait for the confirm, riding out a reconnect for a bounded time.

        A publish whose confirm was lost may be sent twice; that is safe because every event
        keeps its id and consumers are idempotent on it.
        """
        channel = self._channel
        if channel is None or self._closing:
            raise BrokerUnavailableError("RabbitMQ broker is not running")
        last: BaseException | None = None
        try:
            async with asyncio.timeout(self._publish_timeout_s):
                while True:
                    await channel.ready()  # type: ignore[attr-defined]
                    try:
                        target = await self._exchange(channel, exchange)
                        await target.publish(message, routing_key=routing_key)
                        return
                    except aio_pika.exceptions.DeliveryError:
                        raise
                    except CHANNEL_ERRORS as exc:
                        last = exc
                        await asyncio.sleep(0.1)
        except TimeoutError:
            raise BrokerUnavailableError(f"publish not confirmed in time: {last!r}") from last
        except aio_pika.exceptions.DeliveryError as exc:
            raise BrokerUnavailableError(f"publish refused by RabbitMQ: {exc!r}") from exc

    async def _exchange(
        self, channel: aio_pika.abc.AbstractChannel, name: str
    ) -> aio_pika.abc.AbstractExchange:
        if name == "":
            return channel.default_exchange
        if name not in self._exchanges:
            self._exchanges[name] = await channel.get_exchange(name, ensure=False)
        return self._exchanges[name]

    @staticmethod
    def _message(
        event: CloudEvent, attempt: int = 1, extra: dict[str, FieldValue] | None = None
    ) -> aio_pika.Message:
        wire = to_amqp(event)
        headers: dict[str, FieldValue] = {**wire.headers, ATTEMPT_HEADER: attempt, **(extra or {})}
        return aio_pika.Message(
            wire.body,
            headers=headers,
            content_type=wire.content_type,
            message_id=str(event["id"]),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )

    async def _on_message(self, sub: Subscription, message: AbstractIncomingMessage) -> None:
        attempt = int(str(message.headers.get(ATTEMPT_HEADER) or 1))
        try:
            event = from_amqp(message.headers, message.content_type, message.body)
        except MalformedEventError as exc:
            await self._settle(message, self._dead_raw(sub, message, attempt, exc.reason))
            return
        if sub.ordered_by is None:
            outcome = await self._dispatcher.process(sub, event, attempt)
            await self._settle(message, self._follow_up(sub, event, attempt, outcome))
            return
        key = (sub.name, str(event.get(sub.ordered_by) or ""))
        previous = self._chains.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._chains[key] = done
        try:
            if previous is not None:
                await previous
            await self._settle(message, self._in_place(sub, event, attempt))
        finally:
            done.set_result(None)
            if self._chains.get(key) is done:
                del self._chains[key]

    async def _in_place(self, sub: Subscription, event: CloudEvent, attempt: int) -> None:
        """Ordered triggers: retry while holding the message so later ones wait their turn."""
        while True:
            outcome = await self._dispatcher.process(sub, event, attempt)
            if not isinstance(outcome, Ack | Dead):
                await asyncio.sleep(outcome.delay_s)
                attempt += 1 if outcome.counts else 0
                continue
            await self._follow_up(sub, event, attempt, outcome)
            return

    async def _follow_up(
        self, sub: Subscription, event: CloudEvent, attempt: int, outcome: Outcome
    ) -> None:
        """Make the retry or dead letter durable; the caller acks only after this returns."""
        if isinstance(outcome, Ack):
            return
        if isinstance(outcome, Dead):
            if outcome.kept:
                extra = dl.cause_headers(sub.name, attempt, outcome.error)
                await self._publish(
                    self.names.dead_letter_exchange, "", self._message(event, attempt, extra)
                )
            return
        if not outcome.counts:
            await self._publish("", self.names.hold_queue(sub.name), self._message(event, attempt))
            return
        queue = self.names.retry_queue(sub.name, attempt)
        await self._publish("", queue, self._message(event, attempt + 1))

    async def _dead_raw(
        self, sub: Subscription, message: AbstractIncomingMessage, attempt: int, reason: str
    ) -> None:
        headers = {**message.headers, **dl.cause_headers(sub.name, attempt, f"malformed: {reason}")}
        raw = aio_pika.Message(
            message.body,
            headers=headers,
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await self._publish(self.names.dead_letter_exchange, "", raw)

    async def _settle(self, message: AbstractIncomingMessage, follow_up: Awaitable[None]) -> None:
        """Ack once the follow-up is durable; on any failure leave it for redelivery."""
        try:
            await follow_up
            await message.ack()
        except Exception as exc:
            log.warning("delivery %s left for redelivery: %r", message.message_id, exc)
            with contextlib.suppress(Exception):
                await message.nack(requeue=True)

    async def record_dead_letter(
        self, trigger: str, event: CloudEvent, attempts: int, error: str
    ) -> None:
        extra = dl.cause_headers(trigger, attempts, error)
        await self._publish(self.names.dead_letter_exchange, "", self._message(event, 1, extra))

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        assert self._conn is not None, "start the broker first"
        return await dl.list_dead_letters(self._conn, self.names, limit)

    async def replay(self, ids: Sequence[str] | None = None) -> int:
        assert self._conn is not None, "start the broker first"
        return await dl.replay(self._conn, self.names, ids, self._publish, self._message)
