"""Deployed hosting of one HTTP function as a FastAPI app (its own Knative Service).

uvicorn --factory functions.kit.http_hosting:create_http_app   # with ECO2_FUNCTION=<name>
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from functions.kit import http
from functions.kit.bootstrap import build_container, registry_for
from functions.kit.declare import Kind
from functions.kit.guard import Guard
from functions.kit.http_publisher import IngressSender
from functions.kit.invoke import resolve
from functions.kit.publisher import Publisher
from functions.kit.settings import Settings
from functions.kit.telemetry import Observed, Telemetry, configure_logging, metrics_router


def create_http_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI app of one HTTP function (uvicorn --factory)."""
    settings = settings or Settings()
    configure_logging(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry = registry_for(settings)
        fn = registry.get(settings.function or "")
        if fn.kind is not Kind.HTTP:
            raise RuntimeError(f"{fn.name} is an event function: serve it with functions-framework")
        sender = IngressSender(settings.broker_ingress_url)
        telemetry.start(settings)
        values = {"publisher": Publisher(registry.catalog, sender), "metrics": telemetry.metrics}
        container = build_container(settings, registry, values)
        container.on_close(telemetry.close)
        factory = resolve(fn.handler)
        router = factory(**await container.kwargs_for(factory, fn.name))
        app.include_router(router, prefix=fn.route_prefix or "")
        app.state.container = container  # what this process built (probes, tests)
        try:
            yield
        finally:
            await container.close()

    # No trailing-slash redirects: Starlette builds their Location from the Host header.
    app = FastAPI(lifespan=lifespan, redirect_slashes=False)
    http.install(app)
    telemetry = Telemetry()
    app.add_middleware(Observed, metrics=telemetry.metrics)  # innermost: sees the route
    # Scraped in-cluster; the gateway routes only the function's API prefix to this Service.
    app.include_router(metrics_router(telemetry.metrics))

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"function": settings.function, "modules": len(sys.modules)}

    app.add_middleware(Guard, max_body_bytes=settings.max_body_bytes)  # outermost
    return app
