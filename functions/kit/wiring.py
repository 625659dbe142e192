"""The kit's wiring: the adapters every deployable shares, by mode (memory or real servers).

Domains keep their own adapters in their `wiring.py`; these are the mesh's own: the processed-
event store, the broker, and the dead-letter recorder of the deployed sink. Adapters are
imported where they are chosen, so a process loads only its mode's client libraries
(aio-pika alone costs ~130 ms of cold start).
"""

from __future__ import annotations

from eventing.broker.port import Broker
from eventing.idempotency import MemoryProcessedStore, ProcessedStore
from functions.kit import errors
from functions.kit.container import Container
from functions.kit.settings import Settings

# ruff: noqa: PLC0415 - adapters are imported where they are chosen


async def processed_store(container: Container) -> ProcessedStore:
    settings = container.settings
    if settings.mode == "embedded":
        return MemoryProcessedStore()
    from eventing.redis_idempotency import RedisProcessedStore

    return RedisProcessedStore(await container.redis(), prefix=f"{settings.redis_prefix}processed:")


def broker(settings: Settings, store: ProcessedStore) -> Broker:
    """The broker adapter of the mode, deciding retries and dead letters by the error table."""
    if settings.mode == "embedded":
        from eventing.broker.memory import InMemoryBroker

        return InMemoryBroker(store, classify=errors.classify)
    from eventing.broker.rabbitmq import RabbitMQBroker

    return RabbitMQBroker(
        settings.amqp_url,
        broker=settings.broker,
        store=store,
        classify=errors.classify,
        queue_type=settings.queue_type,
        publish_timeout_s=settings.publish_timeout_s,
    )


async def dead_letters(container: Container) -> Broker:
    """For processes that only record dead letters (the deployed sink): a started broker."""
    started = broker(container.settings, await container.get("processed_store"))
    await started.start()
    container.on_close(started.close)
    return started
