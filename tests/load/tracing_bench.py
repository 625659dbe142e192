"""What observability costs on the hot paths: one dispatcher delivery (with a reply) and one
bus progress append, per call, with tracing off, with metrics only, and with tracing on (an
SDK provider whose spans go nowhere, so only span work is measured).

    uv run python -m tests.load.tracing_bench [--n 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

from cloudevents.http import CloudEvent
from opentelemetry.sdk.trace import TracerProvider

from eventing import tracing
from eventing.broker.dispatch import Dispatcher
from eventing.broker.port import DeliveryObserver, Subscription
from eventing.bus.memory import InMemoryEventBus
from eventing.idempotency import MemoryProcessedStore

ATTRS = {"type": "kr.eco2.scan.requested.v1", "source": "/eco2/scan/api"}


class Replies:
    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
        return [CloudEvent({**ATTRS, "id": f"r{event['id']}"}, {"ok": True})]


async def deliveries(n: int, observer: DeliveryObserver | None) -> float:
    async def publish(event: CloudEvent) -> None:
        return None

    dispatcher = Dispatcher(publish, MemoryProcessedStore(), observer=observer)
    sub = Subscription("scan-vision", Replies())
    events = [CloudEvent({**ATTRS, "id": str(i)}, {}) for i in range(n)]
    started = time.perf_counter()
    for event in events:
        await dispatcher.process(sub, event, 1)
    return (time.perf_counter() - started) / n * 1e6


async def appends(n: int) -> float:
    bus = InMemoryEventBus()
    jobs = [f"j{i}" for i in range(n)]
    for job in jobs:
        await bus.register_job(job, "u", "scan")
    started = time.perf_counter()
    for job in jobs:
        await bus.publish_progress(job, "vision", "started")
    return (time.perf_counter() - started) / n * 1e6


async def main(n: int) -> None:
    from functions.kit.metrics import Metrics  # noqa: PLC0415 - the kit's, for the bench only

    rows = []
    for label, metrics, traced in (("off", None, False), ("metrics", Metrics(), False),
                                   ("metrics+tracing", Metrics(), True)):  # fmt: skip
        if traced:
            tracing.install(TracerProvider())
        await deliveries(n // 10, metrics)  # warm up
        rows.append((label, await deliveries(n, metrics), await appends(n)))
        tracing.uninstall()
    for label, delivery_us, append_us in rows:
        print(f"{label:16} delivery {delivery_us:7.1f} µs   bus append {append_us:6.1f} µs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    asyncio.run(main(parser.parse_args().n))
