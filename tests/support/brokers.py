"""Broker factory fixture, parametrized over the in-memory and the RabbitMQ adapter.

The RabbitMQ variant runs on its own vhost with a Redis processed-event store under its own
prefix, so the contract suite exercises both real adapters (broker and idempotency) at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from eventing.broker.memory import InMemoryBroker
from eventing.broker.port import Broker
from eventing.broker.rabbitmq import RabbitMQBroker
from eventing.redis_idempotency import RedisProcessedStore
from tests.rig import RedisNamespace

BrokerFactory = Callable[[], Broker]


@pytest.fixture
async def memory_brokers() -> AsyncIterator[BrokerFactory]:
    made: list[Broker] = []

    def factory() -> Broker:
        made.append(InMemoryBroker())
        return made[-1]

    yield factory
    for broker in made:
        await broker.close()


@pytest.fixture
async def rabbitmq_brokers(
    amqp_url: str, redis_url_and_prefix: RedisNamespace
) -> AsyncIterator[BrokerFactory]:
    redis = Redis.from_url(redis_url_and_prefix.url)
    made: list[Broker] = []

    def factory() -> Broker:
        store = RedisProcessedStore(redis, prefix=f"{redis_url_and_prefix.prefix}processed:")
        made.append(RabbitMQBroker(amqp_url, store=store, reconnect_interval_s=0.5))
        return made[-1]

    yield factory
    for broker in made:
        await broker.close()
    await redis.aclose()


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)])
def make_broker(request: pytest.FixtureRequest) -> BrokerFactory:
    factory: BrokerFactory = request.getfixturevalue(f"{request.param}_brokers")
    return factory
