"""The composition root's shared steps: settings in, registry, adapters and bound handlers out.

Each deployable has one composition module that uses these: the local mesh (`mesh.py`), a
hosted event function (`hosting.py`), a hosted HTTP function (`http_hosting.py`), the SSE
gateway and the event router (`deploy/`). Adapters come from the domains' `wiring.py` and the
kit's own (`wiring.py`); nothing here runs at import. A hosted function builds the registry of
its own domain (and what that domain `REQUIRES`) only, so it imports no other domain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eventing.broker.port import Broker, DeliveryObserver, Subscriber, Subscription
from eventing.catalog import Catalog, default_catalog
from eventing.idempotency import ProcessedStore
from functions.kit import wiring
from functions.kit.container import Container
from functions.kit.declare import Function, Kind
from functions.kit.invoke import LocalFunction, resolve
from functions.kit.publisher import Publisher
from functions.kit.registry import Registry, collect
from functions.kit.settings import Settings

# Every domain's declaration module, by the `domain` its functions declare.
DOMAINS: dict[str, str] = {
    "kit": "functions.kit.functions",
    "users": "functions.users.functions",
    "auth": "functions.auth.functions",
    "character": "functions.character.functions",
    "llm": "functions.kit.llm.functions",
    "images": "functions.images.functions",
    "scan": "functions.scan.functions",
    "chat": "functions.chat.functions",
    "info": "functions.info.functions",
    "location": "functions.location.functions",
    "eval": "functions.eval.functions",
    "sse": "functions.kit.deploy.sse_gateway",
}
DOMAIN_MODULES: tuple[str, ...] = tuple(DOMAINS.values())


def build_registry(
    catalog: Catalog | None = None,
    modules: Sequence[str] = DOMAIN_MODULES,
    domains: Sequence[str] | None = None,
) -> Registry:
    """Every domain's functions, or only those of `domains` (plus what they require)."""
    if domains is not None:
        unknown = sorted(set(domains) - set(DOMAINS))
        if unknown:
            raise KeyError(f"no domain named {unknown}; known: {sorted(DOMAINS)}")
        modules = [DOMAINS[d] for d in domains]
    return collect(modules, catalog or default_catalog())


def registry_for(settings: Settings) -> Registry:
    """What a hosted process needs: its own domain's registry when `ECO2_DOMAIN` says which
    (the generated manifests set it), else every domain's."""
    return build_registry(domains=[settings.domain] if settings.domain else None)


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
        """The broker first: its running handlers finish (drain) while every adapter they
        use is still open; then the adapters."""
        await self.broker.close()
        await self.container.close()


def build_container(
    settings: Settings, registry: Registry, values: dict[str, Any] | None = None
) -> Container:
    providers = {"processed_store": wiring.processed_store, **registry.providers}
    return Container(
        settings, {"catalog": registry.catalog, **(values or {})}, providers, registry.migrations
    )


async def local_function(fn: Function, catalog: Catalog, container: Container) -> LocalFunction:
    """A declared handler bound to its dependencies: resolved now, so a missing one fails
    at start rather than at the first event."""
    target = resolve(fn.handler)
    return LocalFunction(fn, catalog, target, await container.kwargs_for(target, fn.name))


async def build_runtime(
    settings: Settings,
    registry: Registry,
    functions: Iterable[Function] | None = None,
    extra_deps: dict[str, Any] | None = None,
    observer: DeliveryObserver | None = None,
) -> Runtime:
    """Build adapters and subscribe the chosen event functions (all of them by default);
    `observer` (the process's metrics) counts every delivery."""
    container = build_container(settings, registry, extra_deps)
    store = await container.get("processed_store")
    broker = wiring.broker(settings, store, observer)
    container.on_close(broker.close)
    container.provide("publisher", Publisher(registry.catalog, broker.publish))
    container.provide("dead_letters", broker)
    chosen = registry.of_kind(Kind.EVENT) if functions is None else list(functions)
    for fn in chosen:
        if fn.kind is Kind.EVENT:
            subscriber = await local_function(fn, registry.catalog, container)
            broker.subscribe(subscription_for(fn, subscriber))
    return Runtime(settings, registry, store, broker, container)
