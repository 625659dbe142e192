"""Two test functions chained by a reply: order.placed -> relay -> order.relayed -> finish."""

from __future__ import annotations

from cloudevents.http import CloudEvent

from functions.kit.declare import Delivery, Function, Trigger
from tests.support.events import ORDER, RELAYED, Order, Relayed


class Journal(list[CloudEvent]):
    """What the last function of the chain saw."""


async def relay(data: Order) -> Relayed:
    if data.fail_times:
        raise RuntimeError(f"order {data.n} cannot be relayed")
    return Relayed(n=data.n, hops=1)


async def finish(event: CloudEvent, data: Relayed, journal: Journal) -> None:
    assert data.hops == 1
    journal.append(event)


FAST = Delivery(retries=1, base_delay_s=0.05, timeout_s=5)
FUNCTIONS = (
    Function(
        name="test-relay",
        domain="tests",
        handler="tests.support.chain:relay",
        trigger=Trigger(type=ORDER),
        replies=(RELAYED,),
        delivery=FAST,
    ),
    Function(
        name="test-finish",
        domain="tests",
        handler="tests.support.chain:finish",
        trigger=Trigger(type=RELAYED),
        delivery=FAST,
    ),
)
