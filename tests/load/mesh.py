"""The two-trigger chain every end-to-end load scenario runs, shared by parent and workers.

order.placed -> trigger A (relay: replies with order.relayed) -> trigger B (sink: records).
Each event carries the `perf_counter_ns()` of its original publish in the `ecobenchts`
extension attribute; A copies it onto its reply, so B sees the full two-hop latency.
`perf_counter_ns` is CLOCK_MONOTONIC on Linux, comparable across processes on one machine.
"""

from __future__ import annotations

import time
import uuid
from array import array
from collections.abc import Callable, Sequence

from cloudevents.http import CloudEvent

from eventing.broker.policy import DeliveryPolicy
from eventing.broker.port import Subscription
from eventing.filters import exact
from tests.support.events import ORDER, RELAYED, Order, Relayed, make_test_catalog

STAMP = "ecobenchts"  # extension attribute: original publish time, perf_counter_ns
CATALOG = make_test_catalog()
POLICY = DeliveryPolicy(retries=3, base_delay_s=0.1, timeout_s=10)
REPLY_NAMESPACE = uuid.UUID("0b5e7d52-3c1f-4a8e-9d2b-6a4f1c7e9b30")
MAX_SAMPLES = 2_000_000  # bound on kept receipts per run (memory stays small)


def stamped_order(n: int, stamp_ns: int) -> CloudEvent:
    return CATALOG.make(Order(n=n), extensions={STAMP: str(stamp_ns)})


class Receipts:
    """Arrival times and latencies at the end of the chain, filtered by window afterwards."""

    def __init__(self) -> None:
        self.count = 0
        self._at = array("q")
        self._latency = array("q")
        self.on_receipt: Callable[[], None] | None = None

    def record(self, stamp_ns: int) -> None:
        now = time.perf_counter_ns()
        self.count += 1
        if len(self._at) < MAX_SAMPLES:
            self._at.append(now)
            self._latency.append(now - stamp_ns)
        if self.on_receipt is not None:
            self.on_receipt()

    def window(self, t0: int, t1: int, by_send: bool = False) -> tuple[int, list[int]]:
        """Receipts that arrived (or, `by_send`, were sent) in [t0, t1): count, latencies (ns)."""
        pairs = zip(self._at, self._latency, strict=True)
        if by_send:
            lat = [lat for at, lat in pairs if t0 <= at - lat < t1]
        else:
            lat = [lat for at, lat in pairs if t0 <= at < t1]
        return len(lat), lat


class Relay:
    """Trigger A: answer each order with a relayed event that keeps the stamp.

    The reply id is derived from the cause, as the functions kit does, so a re-run of A after
    a failure publishes the same reply again, which B then recognises as a duplicate.
    """

    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
        n = event.get_data()["n"]  # type: ignore[index]
        reply_id = str(uuid.uuid5(REPLY_NAMESPACE, f"bench-a|{event['source']}|{event['id']}"))
        stamp = {STAMP: str(event[STAMP])}
        return [CATALOG.make(Relayed(n=n, hops=1), event_id=reply_id, extensions=stamp)]


class Sink:
    """Trigger B: note the arrival."""

    def __init__(self, receipts: Receipts) -> None:
        self._receipts = receipts

    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
        self._receipts.record(int(event[STAMP]))
        return ()


def chain(receipts: Receipts, concurrency: int) -> tuple[Subscription, Subscription]:
    relay = Subscription(
        name="bench-a",
        subscriber=Relay(),
        filters=(exact("type", ORDER),),
        delivery=POLICY,
        concurrency=concurrency,
        replies=(RELAYED,),
    )
    sink = Subscription(
        name="bench-b",
        subscriber=Sink(receipts),
        filters=(exact("type", RELAYED),),
        delivery=POLICY,
        concurrency=concurrency,
    )
    return relay, sink
