"""The kit's wiring: the adapters every deployable shares, by mode (memory or real servers).

Domains keep their own adapters in their `wiring.py`; these are the mesh's own: the processed-
event store, the broker, the dead-letter recorder of the deployed sink, the event bus (progress
and tokens for SSE) and the event router the local mesh runs as a task. Adapters are
imported where they are chosen, so a process loads only its mode's client libraries
(aio-pika alone costs ~130 ms of cold start).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from eventing.broker.port import Broker, DeliveryObserver
from eventing.bus.limits import BusLimits
from eventing.bus.port import EventBus
from eventing.idempotency import MemoryProcessedStore, ProcessedStore
from functions.kit import errors
from functions.kit.container import Container
from functions.kit.settings import Settings

if TYPE_CHECKING:
    from eventing.router.router import EventRouter, RouterConfig

# ruff: noqa: PLC0415 - adapters are imported where they are chosen
log = logging.getLogger(__name__)


async def processed_store(container: Container) -> ProcessedStore:
    settings = container.settings
    if settings.mode == "embedded":
        return MemoryProcessedStore()
    from eventing.redis_idempotency import RedisProcessedStore

    return RedisProcessedStore(await container.redis(), prefix=f"{settings.redis_prefix}processed:")


def broker(
    settings: Settings, store: ProcessedStore, observer: DeliveryObserver | None = None
) -> Broker:
    """The broker adapter of the mode, deciding retries and dead letters by the error table;
    `observer` counts its deliveries (the process's metrics)."""
    if settings.mode == "embedded":
        from eventing.broker.memory import InMemoryBroker

        return InMemoryBroker(store, classify=errors.classify, observer=observer)
    from eventing.broker.rabbitmq import RabbitMQBroker

    return RabbitMQBroker(
        settings.amqp_url,
        broker=settings.broker,
        store=store,
        classify=errors.classify,
        queue_type=settings.queue_type,
        publish_timeout_s=settings.publish_timeout_s,
        observer=observer,
        drain_s=settings.drain_timeout_s,
    )


async def dead_letters(container: Container) -> Broker:
    """For processes that only record dead letters (the deployed sink): a started broker."""
    started = broker(container.settings, await container.get("processed_store"))
    await started.start()
    container.on_close(started.close)
    return started


def bus_limits(settings: Settings) -> BusLimits:
    return BusLimits(
        shards=settings.bus_shards,
        history_maxlen=settings.bus_history_maxlen,
        shard_maxlen=settings.bus_shard_maxlen,
        ttl_s=settings.bus_ttl_s,
        terminal_ttl_s=settings.bus_terminal_ttl_s,
    )


def router_config(settings: Settings) -> RouterConfig:
    """The router's knobs from settings; its consumer name is `router_consumer`, else the
    pod's name (`hostname`, from HOSTNAME) plus the pid."""
    from eventing.router.router import (
        RouterConfig,
        default_consumer_name,
    )

    return RouterConfig(
        consumer=settings.router_consumer or default_consumer_name(settings.hostname),
        batch=settings.router_batch,
        claim_min_idle_ms=settings.router_claim_min_idle_ms,
    )


async def event_bus(container: Container) -> EventBus:
    """Provider: the in-memory bus in embedded mode, the Redis one in real mode."""
    settings = container.settings
    if settings.mode == "embedded":
        from eventing.bus.memory import InMemoryEventBus

        memory = InMemoryEventBus(bus_limits(settings))
        container.on_close(memory.close)
        return memory
    from eventing.bus.redis_streams import RedisEventBus

    return RedisEventBus(
        await container.redis(), prefix=settings.redis_prefix, limits=bus_limits(settings)
    )


async def start_event_router(container: Container) -> EventRouter | None:
    """Run the event router as a task of this process (the local mesh in real mode; deployed,
    it is its own Deployment). Embedded mode needs none: the in-memory bus routes inline."""
    settings = container.settings
    if settings.mode == "embedded":
        return None
    from eventing.bus.keys import BusKeys
    from eventing.router.router import EventRouter

    router = EventRouter(
        await container.redis(),
        BusKeys(settings.redis_prefix, settings.bus_shards),
        router_config(settings),
    )
    task = asyncio.create_task(router.run(), name="event-router")

    def ended(done: asyncio.Task[None]) -> None:  # run() only returns when stopped
        if not done.cancelled() and done.exception() is not None:
            log.error("the event router stopped", exc_info=done.exception())

    task.add_done_callback(ended)

    async def stop() -> None:
        router.stop()
        try:
            await asyncio.wait_for(task, 5)
        except TimeoutError:
            task.cancel()

    container.on_close(stop)
    return router
