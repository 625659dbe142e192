"""What only a real broker can show: crashes, restarts and garbage on the queue."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

import aio_pika
import pytest
from cloudevents.http import CloudEvent
from redis.asyncio import Redis

from eventing.broker.policy import DeliveryPolicy
from eventing.broker.port import Subscription
from eventing.broker.rabbitmq import RabbitMQBroker
from eventing.errors import BrokerUnavailableError
from eventing.filters import exact
from eventing.redis_idempotency import RedisProcessedStore
from tests.rig import RabbitRestart, RedisNamespace
from tests.support.events import ORDER, Order, make_test_catalog
from tests.support.recorder import Recorder, eventually

pytestmark = pytest.mark.integration
CATALOG = make_test_catalog()


async def _spawn(amqp_url: str, ns: RedisNamespace) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.consumer_proc",
        amqp_url,
        ns.url,
        ns.prefix,
        stdout=asyncio.subprocess.PIPE,
    )
    await _read_until(proc, "READY")
    return proc


async def _read_until(proc: asyncio.subprocess.Process, word: str) -> str:
    assert proc.stdout is not None
    async with asyncio.timeout(30):
        while True:
            line = (await proc.stdout.readline()).decode()
            if not line:
                raise AssertionError(f"consumer exited before saying {word}")
            if line.startswith(word):
                return line


async def test_consumer_killed_before_ack_is_redelivered_and_processed_once(
    amqp_url: str, redis_url_and_prefix: RedisNamespace
) -> None:
    publisher = RabbitMQBroker(amqp_url)
    await publisher.start()
    first = await _spawn(amqp_url, redis_url_and_prefix)
    event = CATALOG.make(Order(n=1))
    await publisher.publish(event)
    await _read_until(first, "HANGING")
    first.send_signal(signal.SIGKILL)  # dies holding the unacked delivery
    await first.wait()
    second = await _spawn(amqp_url, redis_url_and_prefix)
    redis = Redis.from_url(redis_url_and_prefix.url)
    key = f"{redis_url_and_prefix.prefix}effects:{event['id']}"
    try:
        await eventually(lambda: _equals(redis.get(key), b"1"), what="redelivered effect")
        await asyncio.sleep(0.5)
        assert await redis.get(key) == b"1"
    finally:
        second.send_signal(signal.SIGKILL)
        await second.wait()
        await publisher.close()
        await redis.aclose()


async def _equals(awaitable: object, expected: object) -> bool:
    return await awaitable == expected  # type: ignore[misc]


async def test_broker_restart_loses_no_confirmed_event(
    amqp_url: str, redis_url_and_prefix: RedisNamespace, rabbitmq_restart: RabbitRestart
) -> None:
    redis = Redis.from_url(redis_url_and_prefix.url)
    store = RedisProcessedStore(redis, prefix=redis_url_and_prefix.prefix)
    broker = RabbitMQBroker(amqp_url, store=store, reconnect_interval_s=0.5, publish_timeout_s=30)
    worker = Recorder(delay_s=lambda _: 0.01)
    policy = DeliveryPolicy(retries=5, base_delay_s=0.2, timeout_s=10)
    broker.subscribe(Subscription("worker", worker, (exact("type", ORDER),), policy, 8))
    await broker.start()
    confirmed: list[str] = []

    async def produce(start: int, count: int) -> None:
        for n in range(start, start + count):
            event = CATALOG.make(Order(n=n))
            with contextlib.suppress(BrokerUnavailableError):
                await broker.publish(event)
                confirmed.append(str(event["id"]))

    await produce(0, 300)
    seen_down: list[bool] = []

    async def watch() -> None:
        while True:
            seen_down.append(not broker.health().ready)
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch())
    await asyncio.gather(rabbitmq_restart(), produce(300, 100))
    await eventually(lambda: broker.health().ready, timeout_s=30, what="reconnect")
    await produce(400, 50)
    try:
        await eventually(
            lambda: set(confirmed) <= set(worker.effect_ids()), timeout_s=60, what="every event"
        )
        assert any(seen_down), "health never reported the outage"
        assert len(worker.effect_ids()) == len(set(worker.effect_ids())), "duplicate effects"
        assert len(confirmed) >= 350
    finally:
        watcher.cancel()
        await broker.close()
        await redis.aclose()


async def test_malformed_message_is_dead_lettered_with_reason(amqp_url: str) -> None:
    broker = RabbitMQBroker(amqp_url)
    worker = Recorder()
    broker.subscribe(Subscription("worker", worker, (exact("type", ORDER),)))
    await broker.start()
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(broker.names.exchange)
        headers = {
            "cloudEvents_type": ORDER,
            "cloudEvents_source": "/x",
            "cloudEvents_specversion": "1.0",
        }
        await exchange.publish(aio_pika.Message(b"{}", headers=headers), routing_key="")
        found: list = []  # type: ignore[type-arg]

        async def dead() -> bool:
            found[:] = await broker.dead_letters()
            return bool(found)

        await eventually(dead, what="dead letter")
        assert found[0].event is None and "missing required attribute(s): id" in found[0].error
        assert worker.calls == []
        assert await broker.replay() == 0  # nothing replayable, and it stays listed
        assert len(await broker.dead_letters()) == 1
    finally:
        await connection.close()
        await broker.close()


async def test_a_handler_in_flight_when_the_connection_drops_runs_once(
    amqp_url: str, redis_url_and_prefix: RedisNamespace, drop_amqp_connections: RabbitRestart
) -> None:
    """The connection drops while a (slow, LLM-like) handler runs: it finishes and its reply
    is published after the reconnect; the redelivery is a duplicate, not a second run."""
    redis = Redis.from_url(redis_url_and_prefix.url)
    store = RedisProcessedStore(redis, prefix=redis_url_and_prefix.prefix)
    broker = RabbitMQBroker(amqp_url, store=store, reconnect_interval_s=0.3, publish_timeout_s=30)
    slow = Recorder(delay_s=lambda _: 2.0)
    policy = DeliveryPolicy(retries=3, base_delay_s=0.1, timeout_s=30)
    broker.subscribe(Subscription("slow", slow, (exact("type", ORDER),), policy, 4))
    await broker.start()
    try:
        await broker.publish(CATALOG.make(Order(n=1)))
        await eventually(lambda: len(slow.calls) == 1, what="the handler to start")
        await drop_amqp_connections()
        await eventually(lambda: len(slow.effects) == 1, timeout_s=20, what="the handler's end")
        await eventually(lambda: broker.health().ready, timeout_s=20, what="reconnect")
        await asyncio.sleep(3)  # the redelivery of the unacked message has come and gone
        assert len(slow.calls) == 1, "the handler ran again"
    finally:
        await broker.close()
        await redis.aclose()


class Gated:
    """A handler that runs until the test opens its gate (a long answer, a slow model)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started: list[str] = []
        self.finished: list[str] = []

    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
        self.started.append(str(event["id"]))
        await self.gate.wait()
        self.finished.append(str(event["id"]))
        return ()


async def test_a_closing_broker_drains_its_running_handler_and_takes_nothing_new(
    amqp_url: str,
) -> None:
    """A scale-down's SIGTERM: the running handler finishes and is acked (not cut off and
    redelivered after its lease); what arrives meanwhile is left for the other replicas."""
    handler = Gated()
    broker = RabbitMQBroker(amqp_url, drain_s=30)
    policy = DeliveryPolicy(retries=0, timeout_s=60)
    broker.subscribe(Subscription("answer", handler, (exact("type", ORDER),), policy, 4))
    await broker.start()
    publisher = RabbitMQBroker(amqp_url)
    await publisher.start()
    try:
        first, second = CATALOG.make(Order(n=1)), CATALOG.make(Order(n=2))
        await publisher.publish(first)
        await eventually(lambda: handler.started == [str(first["id"])], what="the handler")
        closing = asyncio.create_task(broker.close())
        await eventually(lambda: broker._draining, what="the drain")
        await publisher.publish(second)  # arrives while the first one drains
        assert not closing.done()  # waits for the running handler
        handler.gate.set()
        await closing
        assert handler.finished == [str(first["id"])] == handler.started
        queue = broker.names.trigger_queue("answer")
        async with await aio_pika.connect(amqp_url) as connection:
            channel = await connection.channel()
            waiting = await channel.declare_queue(queue, passive=True)
            assert waiting.declaration_result.message_count == 1  # the second, not the first
    finally:
        handler.gate.set()
        await broker.close()
        await publisher.close()
