"""In-memory broker: the embedded default, with the same retry and dead-letter semantics.

Like Knative's in-memory channel it keeps nothing across restarts; unlike it, every trigger
retries with backoff, dead-letters with the cause, and dead letters can be replayed. Events are
round-tripped through the AMQP codec on publish so that whatever works here also survives the
wire in the RabbitMQ adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from cloudevents.http import CloudEvent

from eventing.broker.dispatch import LEASE_S, Ack, Classify, Dead, Dispatcher, Retry
from eventing.broker.port import DeadLetter, DeliveryObserver, Health, Subscription
from eventing.codec import attributes_of, from_amqp, to_amqp
from eventing.errors import BrokerUnavailableError, disposition_of
from eventing.filters import matches_all
from eventing.idempotency import MemoryProcessedStore, ProcessedStore


@dataclass(frozen=True, slots=True)
class _Envelope:
    event: CloudEvent
    attempt: int


class _Lane:
    """One trigger's queue and its consumers."""

    def __init__(self, sub: Subscription) -> None:
        self.sub = sub
        self.queue: asyncio.Queue[_Envelope] = asyncio.Queue()
        self.chains: dict[str, asyncio.Task[None]] = {}
        self.slots = asyncio.Semaphore(sub.concurrency)  # ordered lanes: keys in flight


class InMemoryBroker:
    def __init__(
        self,
        store: ProcessedStore | None = None,
        classify: Classify = disposition_of,
        lease_s: float = LEASE_S,
        observer: DeliveryObserver | None = None,
    ) -> None:
        self._lanes: dict[str, _Lane] = {}
        self._dead: dict[str, DeadLetter] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._dispatcher = Dispatcher(
            self.publish, store or MemoryProcessedStore(), classify, lease_s, observer=observer
        )
        self._state = "new"

    def subscribe(self, subscription: Subscription) -> None:
        if self._state != "new":
            raise RuntimeError("subscribe before start")
        if subscription.name in self._lanes:
            raise ValueError(f"trigger {subscription.name} is subscribed twice")
        self._lanes[subscription.name] = _Lane(subscription)

    async def start(self) -> None:
        self._state = "running"
        for lane in self._lanes.values():
            workers = 1 if lane.sub.ordered_by else lane.sub.concurrency
            for _ in range(workers):
                self._spawn(self._consume(lane))

    async def close(self) -> None:
        self._state = "closed"
        for timer in self._timers:
            timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def publish(self, event: CloudEvent) -> None:
        if self._state == "closed":
            raise BrokerUnavailableError("the in-memory broker is closed")
        wire = to_amqp(event)
        attributes = attributes_of(event)
        for lane in self._lanes.values():
            if matches_all(lane.sub.filters, attributes):
                copy = from_amqp(wire.headers, wire.content_type, wire.body)
                lane.queue.put_nowait(_Envelope(copy, 1))

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return list(self._dead.values())[:limit]

    async def record_dead_letter(
        self, trigger: str, event: CloudEvent, attempts: int, error: str
    ) -> None:
        dead_id = str(uuid.uuid4())
        self._dead[dead_id] = DeadLetter(
            dead_id, trigger, event, attempts, error, datetime.now(UTC)
        )

    async def replay(self, ids: Sequence[str] | None = None) -> int:
        chosen = list(self._dead) if ids is None else [i for i in ids if i in self._dead]
        replayed = 0
        for dead_id in chosen:
            letter = self._dead[dead_id]
            lane = self._lanes.get(letter.trigger)
            if lane is None or letter.event is None:
                continue
            del self._dead[dead_id]
            lane.queue.put_nowait(_Envelope(letter.event, 1))
            replayed += 1
        return replayed

    def health(self) -> Health:
        ready = self._state == "running"
        return Health(ready, f"in-memory broker {self._state}")

    def pending(self) -> int:
        """Events queued or waiting for a retry; lets the embedded mesh drain on shutdown."""
        queued = sum(lane.queue.qsize() for lane in self._lanes.values())
        return queued + len(self._timers)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _consume(self, lane: _Lane) -> None:
        while True:
            envelope = await lane.queue.get()
            if lane.sub.ordered_by is None:
                await self._deliver(lane, envelope)
                continue
            key = str(envelope.event.get(lane.sub.ordered_by) or "")
            previous = lane.chains.get(key)
            chain = asyncio.ensure_future(self._after(previous, lane, envelope))
            lane.chains[key] = chain
            self._tasks.add(chain)
            chain.add_done_callback(self._tasks.discard)
            chain.add_done_callback(partial(_forget, lane.chains, key))

    async def _after(
        self, previous: asyncio.Task[None] | None, lane: _Lane, envelope: _Envelope
    ) -> None:
        if previous is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(previous)
        async with lane.slots:
            await self._deliver(lane, envelope)

    async def _deliver(self, lane: _Lane, envelope: _Envelope) -> None:
        """Process until acked or dead; ordered lanes retry in place to keep their order."""
        attempt = envelope.attempt
        while True:
            outcome = await self._dispatcher.process(lane.sub, envelope.event, attempt)
            if isinstance(outcome, Ack):
                return
            if isinstance(outcome, Dead):
                self._dead_letter(lane, envelope.event, attempt, outcome)
                return
            assert isinstance(outcome, Retry)
            attempt += 1 if outcome.counts else 0
            if lane.sub.ordered_by is not None:
                await asyncio.sleep(outcome.delay_s)
                continue
            self._schedule(lane, _Envelope(envelope.event, attempt), outcome.delay_s)
            return

    def _schedule(self, lane: _Lane, envelope: _Envelope, delay_s: float) -> None:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.discard(timer)
            lane.queue.put_nowait(envelope)

        timer = loop.call_later(delay_s, fire)
        self._timers.add(timer)

    def _dead_letter(self, lane: _Lane, event: CloudEvent, attempts: int, outcome: Dead) -> None:
        if outcome.kept:
            dead_id = str(uuid.uuid4())
            self._dead[dead_id] = DeadLetter(
                dead_id, lane.sub.name, event, attempts, outcome.error, datetime.now(UTC)
            )


def _forget(chains: dict[str, asyncio.Task[None]], key: str, task: asyncio.Task[None]) -> None:
    if chains.get(key) is task:
        del chains[key]
