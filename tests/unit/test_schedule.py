"""Scheduled functions: the declaration, the PingSource it deploys as, and the local ticker."""

from __future__ import annotations

import asyncio

import pytest
from cloudevents.http import CloudEvent

from eventing.events.mesh import PING
from eventing.filters import matches_all
from functions.kit.declare import Function, Schedule, Trigger, ping_source, scheduled
from functions.kit.manifests import ping_source_document
from functions.kit.ticker import Tickers, tick

SWEEP = Function(name="sweep", domain="d", handler="m:f", trigger=scheduled("sweep"),
                 schedule=Schedule(minutes=5))  # fmt: skip


def test_a_schedule_goes_with_its_own_scheduled_trigger() -> None:
    with pytest.raises(ValueError, match="schedule"):
        Function(name="a", domain="d", handler="m:f", trigger=scheduled("a"))
    with pytest.raises(ValueError, match="schedule"):
        Function(name="a", domain="d", handler="m:f", trigger=Trigger(type=PING),
                 schedule=Schedule(minutes=1))  # fmt: skip
    with pytest.raises(ValueError, match="minutes"):
        Schedule(minutes=0)
    assert (Schedule(minutes=1).cron, Schedule(minutes=5).cron) == ("* * * * *", "*/5 * * * *")


def test_the_pingsource_ticks_the_broker_with_the_function_named() -> None:
    doc = ping_source_document(SWEEP)
    assert (doc["kind"], doc["metadata"]["name"], doc["spec"]["schedule"]) == (
        "PingSource", "sweep", "*/5 * * * *",
    )  # fmt: skip
    assert doc["spec"]["data"] == '{"function": "sweep"}'
    assert doc["spec"]["sink"]["ref"]["kind"] == "Broker"


def test_a_tick_passes_its_own_trigger_only() -> None:
    event = tick(SWEEP, "eco2")
    assert event["source"] == ping_source("sweep", "eco2")
    attributes = {k: str(event[k]) for k in ("type", "source", "id")}
    assert matches_all(SWEEP.trigger.all_filters(), attributes)  # type: ignore[union-attr]
    other = {**attributes, "source": ping_source("other", "eco2")}
    assert not matches_all(SWEEP.trigger.all_filters(), other)  # type: ignore[union-attr]


async def test_the_ticker_publishes_on_schedule_until_stopped() -> None:
    sent: list[CloudEvent] = []

    async def publish(event: CloudEvent) -> None:
        sent.append(event)

    tickers = Tickers(publish, "eco2", interval_s=0.05)
    tickers.start([SWEEP])
    await asyncio.sleep(0.28)
    await tickers.stop()
    count = len(sent)
    assert 3 <= count <= 6 and all(e.get_data() == {"function": "sweep"} for e in sent)
    await asyncio.sleep(0.1)
    assert len(sent) == count
