"""The composition root: settings in, adapters and bound handlers out.

Nothing here runs at import. The embedded mode builds in-memory adapters (no servers, no keys);
the real mode builds RabbitMQ and Redis adapters from the same settings object.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eventing.broker.port import Broker, Subscriber, Subscription
from eventing.catalog import Catalog, default_catalog
from eventing.idempotency import MemoryProcessedStore, ProcessedStore
from functions.kit import errors
from functions.kit.container import Container
from functions.kit.declare import Function, Kind
from functions.kit.invoke import LocalFunction, resolve
from functions.kit.publisher import Publisher
from functions.kit.registry import Registry, collect
from functions.kit.settings import Settings

DOMAIN_MODULES: tuple[str, ...] = (
    "functions.kit.functions",
    "functions.users.functions",
    "functions.auth.functions",
    "functions.character.functions",
    "functions.kit.llm.functions",
    "functions.images.functions",
    "functions.scan.functions",
    "functions.kit.deploy.sse_gateway",
)


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
    """Everything a process runs with; closing it closes every adapter it built."""

    settings: Settings
    registry: Registry
    store: ProcessedStore
    broker: Broker
    container: Container

    async def close(self) -> None:
        await self.container.close()


def build_container(
    settings: Settings, registry: Registry, values: dict[str, Any] | None = None
) -> Container:
    return Container(
        settings,
        {"catalog": registry.catalog, **(values or {})},
        registry.providers,
        registry.migrations,
    )


async def local_function(fn: Function, catalog: Catalog, container: Container) -> LocalFunction:
    """A declared handler bound to its dependencies: resolved now, so a missing one fails
    at start rather than at the first event."""
    target = resolve(fn.handler)
    return LocalFunction(fn, catalog, target, await container.kwargs_for(target, fn.name))


# Adapters are imported where they are chosen: a function process loads only the client
# library of the mode it runs in (aio-pika alone costs ~130 ms of cold start here).


async def build_store(settings: Settings, container: Container) -> ProcessedStore:
    if settings.mode == "embedded":
        return MemoryProcessedStore()
    from eventing.redis_idempotency import RedisProcessedStore

    redis = await container.redis()
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
        publish_timeout_s=settings.publish_timeout_s,
    )


async def build_runtime(
    settings: Settings,
    registry: Registry,
    functions: Iterable[Function] | None = None,
    extra_deps: dict[str, Any] | None = None,
) -> Runtime:
    """Build adapters and subscribe the chosen event functions (all of them by default)."""
    container = build_container(settings, registry, extra_deps)
    store = await build_store(settings, container)
    broker = build_broker(settings, store)
    container.on_close(broker.close)
    container.provide("publisher", Publisher(registry.catalog, broker.publish))
    container.provide("dead_letters", broker)
    chosen = registry.of_kind(Kind.EVENT) if functions is None else list(functions)
    for fn in chosen:
        if fn.kind is Kind.EVENT:
            subscriber = await local_function(fn, registry.catalog, container)
            broker.subscribe(subscription_for(fn, subscriber))
    return Runtime(settings, registry, store, broker, container)


async def dead_letter_broker(container: Container) -> Broker:
    """Provider for processes that only record dead letters (the deployed sink)."""
    settings = container.settings
    broker = build_broker(settings, await build_store(settings, container))
    await broker.start()
    container.on_close(broker.close)
    return broker
