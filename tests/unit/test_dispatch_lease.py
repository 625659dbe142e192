"""A delivery's claim while its handler runs: kept by renewals, and when it is lost the handler
stops before another delivery of the same event can start it (no two runs side by side).

Times are the lease's own (a few tenths of a second); nothing sleeps to synchronise: the
handlers wait on events, and the lease's timers are what is under test."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cloudevents.http import CloudEvent

from eventing.broker.dispatch import Ack, Dispatcher, Outcome, Retry
from eventing.broker.policy import DeliveryPolicy
from eventing.broker.port import Subscription
from eventing.errors import TransientError
from eventing.idempotency import Claim, MemoryProcessedStore

LEASE_S = 0.3


class Stalls:
    """A handler that runs until `release` is set (or it is stopped), logging its span."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.spans: list[tuple[float, float, str]] = []  # (start, end, how)

    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
        loop = asyncio.get_running_loop()
        start, how = loop.time(), "finished"
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            how = "stopped"
            raise
        finally:
            self.spans.append((start, loop.time(), how))
        return []


class Unrenewable(MemoryProcessedStore):
    """Claims work; renewals cannot reach the store (a starved pool, a Redis outage)."""

    async def renew(self, key: str, holder: str, lease_s: float) -> bool:
        raise TransientError("processed-event store unavailable")


class Taken(MemoryProcessedStore):
    """Another delivery took the claim over: every renewal finds it is not ours."""

    async def renew(self, key: str, holder: str, lease_s: float) -> bool:
        return False


def _event() -> CloudEvent:
    attributes = {"type": "kr.eco2.chat.message.submitted.v1", "source": "/eco2/chat", "id": "j"}
    return CloudEvent(attributes, {"job_id": "j"})


async def _publish(event: CloudEvent) -> None:
    return None


def _sub(handler: Stalls) -> Subscription:
    return Subscription("chat-agent", handler, delivery=DeliveryPolicy(timeout_s=30.0))


async def _until_claimed(dispatcher: Dispatcher, sub: Subscription) -> Outcome:
    """A second delivery of the event, as the broker would retry a busy one."""
    while True:
        outcome = await dispatcher.process(sub, _event(), attempt=1)
        if not (isinstance(outcome, Retry) and not outcome.counts):
            return outcome
        await asyncio.sleep(LEASE_S / 10)  # the broker's busy delay, shortened


async def test_a_handler_whose_claim_cannot_be_renewed_stops_before_it_lapses() -> None:
    store = Unrenewable()
    first, second = Stalls(), Stalls()
    dispatcher = Dispatcher(_publish, store, lease_s=LEASE_S)
    outcome = asyncio.create_task(dispatcher.process(_sub(first), _event(), attempt=1))
    await first.started.wait()  # the first delivery holds the claim
    second.release.set()
    assert await _until_claimed(dispatcher, _sub(second)) == Ack()
    lost = await outcome
    assert isinstance(lost, Retry) and not lost.counts and "claim lost" in lost.error
    [(_, first_end, how)] = first.spans
    [(second_start, _, _)] = second.spans
    assert how == "stopped" and first_end <= second_start  # never side by side


async def test_a_handler_whose_claim_was_taken_over_stops_at_the_next_renewal() -> None:
    handler = Stalls()
    dispatcher = Dispatcher(_publish, Taken(), lease_s=LEASE_S)
    outcome = await dispatcher.process(_sub(handler), _event(), attempt=1)
    assert isinstance(outcome, Retry) and not outcome.counts
    assert "another delivery holds the claim" in outcome.error
    [(start, end, how)] = handler.spans
    assert how == "stopped" and end - start < LEASE_S * 0.9  # at the first renewal


async def test_a_handler_longer_than_its_lease_keeps_the_claim() -> None:
    store = MemoryProcessedStore()
    handler = Stalls()
    dispatcher = Dispatcher(_publish, store, lease_s=LEASE_S)
    outcome = asyncio.create_task(dispatcher.process(_sub(handler), _event(), attempt=1))
    await asyncio.sleep(LEASE_S * 3)  # three leases long: renewed all along
    assert await store.claim("chat-agent\x1f/eco2/chat\x1fj", LEASE_S, "other") is Claim.BUSY
    handler.release.set()
    assert await outcome == Ack()
    assert [how for _, _, how in handler.spans] == ["finished"]
