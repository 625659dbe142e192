"""The composition root: settings in, adapters and bound handlers out.

Nothing here runs at import. The embedded mode builds in-memory adapters (no servers, no keys);
the real mode builds RabbitMQ and Redis adapters from the same settings object.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventing.broker.port import Broker, Subscriber, Subscription
from eventing.catalog import Catalog, default_catalog
from eventing.idempotency import MemoryProcessedStore, ProcessedStore
from functions.kit import errors
from functions.kit.declare import Function, Kind
from functions.kit.invoke import LocalFunction
from functions.kit.publisher import Publisher
from functions.kit.registry import Registry, collect
from functions.kit.settings import Settings

DOMAIN_MODULES: tuple[str, ...] = ("functions.kit.functions",)


def build_registry(
    catalog: Catalog | None = None, modules: Sequence[str] = DOMAIN_MODULES
) -> Registry:
    return collect(modules, catalog or default_catalog())


def subscription_for(fn: Function, subscriber: Subscriber) -> Subscription:
    """A function's trigger, delivery and concurrency, as the broker needs them."""
    assert fn.trigger is not None
    return Subscription(
        name=fn.name,
        subscriber=subscriber,
        filters=fn.trigger.all_filters(),
        delivery=fn.delivery,
        concurrency=fn.scaling.container_concurrency,
        ordered_by=fn.trigger.ordered_by,
        replies=fn.replies,
    )


@dataclass
class Runtime:
    """Everything a process runs with, and how to close it again."""

    settings: Settings
    registry: Registry
    store: ProcessedStore
    broker: Broker
    deps: dict[str, Any]
    closers: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)

    async def close(self) -> None:
        for closer in reversed(self.closers):
            with contextlib.suppress(Exception):
                await closer()


# Adapters are imported where they are chosen: a function process loads only the client
# library of the mode it runs in (aio-pika alone costs ~130 ms of cold start here).


def build_store(settings: Settings, closers: list[Callable[[], Awaitable[Any]]]) -> ProcessedStore:
    if settings.mode == "embedded":
        return MemoryProcessedStore()
    from redis.asyncio import Redis

    from eventing.redis_idempotency import RedisProcessedStore

    redis = Redis.from_url(settings.redis_url)
    closers.append(redis.aclose)
    return RedisProcessedStore(redis, prefix=f"{settings.redis_prefix}processed:")


def build_broker(settings: Settings, store: ProcessedStore) -> Broker:
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
    )


def build_runtime(
    settings: Settings,
    registry: Registry,
    functions: Iterable[Function] | None = None,
    extra_deps: dict[str, Any] | None = None,
) -> Runtime:
    """Build adapters and subscribe the chosen event functions (all of them by default)."""
    closers: list[Callable[[], Awaitable[Any]]] = []
    store = build_store(settings, closers)
    broker = build_broker(settings, store)
    closers.append(broker.close)
    deps: dict[str, Any] = {
        "settings": settings,
        "catalog": registry.catalog,
        "publisher": Publisher(registry.catalog, broker.publish),
        "dead_letters": broker,
        **(extra_deps or {}),
    }
    chosen = registry.of_kind(Kind.EVENT) if functions is None else list(functions)
    for fn in chosen:
        if fn.kind is Kind.EVENT:
            broker.subscribe(subscription_for(fn, LocalFunction(fn, registry.catalog, deps)))
    return Runtime(settings, registry, store, broker, deps, closers)
