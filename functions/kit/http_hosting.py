"""Deployed hosting of one HTTP function as a FastAPI app (its own Knative Service).

uvicorn --factory functions.kit.http_hosting:create_http_app   # with ECO2_FUNCTION=<name>
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from functions.kit import http
from functions.kit.bootstrap import build_broker, build_registry, build_store
from functions.kit.declare import Kind
from functions.kit.http_publisher import IngressSender
from functions.kit.invoke import bind, resolve
from functions.kit.publisher import Publisher
from functions.kit.settings import Settings


def create_http_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI app of one HTTP function (uvicorn --factory)."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry = build_registry()
        fn = registry.get(settings.function or "")
        if fn.kind is not Kind.HTTP:
            raise RuntimeError(f"{fn.name} is an event function: serve it with functions-framework")
        deps: dict[str, Any] = {
            "settings": settings,
            "catalog": registry.catalog,
            "publisher": Publisher(registry.catalog, IngressSender(settings.broker_ingress_url)),
        }
        closers: list[Any] = []
        factory = resolve(fn.handler)
        if "dead_letters" in inspect.signature(factory).parameters:  # only the sink needs it
            broker = build_broker(settings, build_store(settings, closers))
            await broker.start()
            closers.append(broker.close)
            deps["dead_letters"] = broker
        app.include_router(factory(**bind(factory, deps, fn.name)), prefix=fn.route_prefix or "")
        yield
        for close in reversed(closers):
            await close()

    app = FastAPI(lifespan=lifespan)
    http.install(app)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"function": settings.function, "modules": len(sys.modules)}

    return app
