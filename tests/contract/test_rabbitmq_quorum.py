"""Quorum queues (ECO2_QUEUE_TYPE=quorum, what the cluster runs: ADR 0017) on the real server.

Retries go through TTL'd hold queues and a dead-letter exchange, and ordered triggers use a
single active consumer; all of it must work on quorum queues as on classic ones, and every
queue the adapter declares must be a quorum queue.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from redis.asyncio import Redis

from eventing.broker.rabbitmq import RabbitMQBroker
from eventing.redis_idempotency import RedisProcessedStore
from tests.contract.test_broker import CATALOG, _dead_letters, order, sub
from tests.rig import RedisNamespace, RigSettings, _api_client
from tests.support.events import Order
from tests.support.recorder import Recorder, eventually

pytestmark = pytest.mark.integration


async def test_quorum_queues_retry_dead_letter_and_keep_order(
    amqp_url: str, redis_url_and_prefix: RedisNamespace, rig_settings: RigSettings
) -> None:
    redis = Redis.from_url(redis_url_and_prefix.url)
    store = RedisProcessedStore(redis, prefix=f"{redis_url_and_prefix.prefix}processed:")
    broker = RabbitMQBroker(amqp_url, store=store, queue_type="quorum")
    flaky, ordered = Recorder(), Recorder()
    broker.subscribe(sub("flaky", flaky))
    broker.subscribe(sub("ordered", ordered, concurrency=4, ordered_by="partitionkey"))
    try:
        await broker.start()
        await broker.publish(order(1, fail_times=1))  # one retry through a hold queue
        await broker.publish(order(2, fail_times=99))  # retries exhausted: dead letter
        for n in range(3):
            await broker.publish(
                CATALOG.make(Order(n=n, key="a"), extensions={"partitionkey": "a"})
            )
        letters = await _dead_letters(broker, 1)
        assert letters[0].event is not None and letters[0].event.get_data()["n"] == 2
        await eventually(lambda: any(e.get_data()["n"] == 1 for e in flaky.effects))
        await eventually(lambda: len([e for e in ordered.effects if "partitionkey" in e]) == 3)
        assert [e.get_data()["n"] for e in ordered.effects if "partitionkey" in e] == [0, 1, 2]
        vhost = unquote(urlsplit(amqp_url).path.lstrip("/"))
        async with _api_client(rig_settings.rabbit_api) as api:
            queues = (await api.get(f"/api/queues/{vhost}")).raise_for_status().json()
        assert queues and {q["type"] for q in queues} == {"quorum"}, queues
    finally:
        await broker.close()
        await redis.aclose()
