"""Redis event buses for the contract suite, each with its own key prefix and a router task."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from redis.asyncio import Redis

from eventing.bus.limits import BusLimits
from eventing.bus.port import EventBus
from eventing.bus.redis_streams import RedisEventBus
from eventing.router.router import EventRouter, RouterConfig
from tests.rig import RedisNamespace


@contextlib.asynccontextmanager
async def redis_bus_factory(
    namespace: RedisNamespace,
) -> AsyncIterator[Callable[[BusLimits], Awaitable[EventBus]]]:
    redis = Redis.from_url(namespace.url)
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
