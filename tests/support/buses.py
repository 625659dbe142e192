"""Event bus factories for tests (a pytest plugin): in-memory, and Redis (one server or the
local Redis Cluster) with its own key prefix and a router task. Shared by the bus contract
suite and the SSE gateway tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis, RedisCluster

from eventing.bus.limits import BusLimits
from eventing.bus.memory import InMemoryEventBus
from eventing.bus.port import EventBus
from eventing.bus.redis_streams import RedisEventBus
from eventing.redis_clients import RedisClient
from eventing.router.router import EventRouter, RouterConfig
from tests.rig import RedisNamespace

BusFactory = Callable[[BusLimits], Awaitable[EventBus]]


@contextlib.asynccontextmanager
async def redis_bus_factory(
    namespace: RedisNamespace, *, cluster: bool = False
) -> AsyncIterator[BusFactory]:
    redis: RedisClient = (
        RedisCluster.from_url(namespace.url) if cluster else Redis.from_url(namespace.url)
    )
    routers: list[tuple[EventRouter, asyncio.Task[None]]] = []

    async def factory(limits: BusLimits) -> EventBus:
        prefix = f"{namespace.prefix}{len(routers)}:"
        bus = RedisEventBus(redis, prefix=prefix, limits=limits)
        router = EventRouter(redis, bus.keys, RouterConfig(consumer="r1", block_ms=100))
        await router.ensure_groups()
        routers.append((router, asyncio.create_task(router.run())))
        return bus

    try:
        yield factory
    finally:
        for router, task in routers:
            router.stop()
            await task
        await redis.aclose()


@pytest.fixture
async def memory_buses() -> AsyncIterator[BusFactory]:
    made: list[InMemoryEventBus] = []

    async def factory(limits: BusLimits) -> EventBus:
        made.append(InMemoryEventBus(limits))
        return made[-1]

    yield factory
    for bus in made:
        await bus.close()


@pytest.fixture
async def redis_buses(redis_url_and_prefix: RedisNamespace) -> AsyncIterator[BusFactory]:
    async with redis_bus_factory(redis_url_and_prefix) as factory:
        yield factory


@pytest.fixture
async def redis_cluster_buses(
    redis_cluster_url_and_prefix: RedisNamespace,
) -> AsyncIterator[BusFactory]:
    async with redis_bus_factory(redis_cluster_url_and_prefix, cluster=True) as factory:
        yield factory
