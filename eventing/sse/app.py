"""The deployable gateway: a persistent Deployment (not a Knative Service), one per replica.

    uvicorn --factory eventing.sse.app:create_gateway_app --host 0.0.0.0 --port 8080

It serves the two SSE routes under `/api/v1`, `/health`, `/ready` and `/metrics` (Prometheus
text; `eco2_sse_connections` is what the KEDA scaler reads). The bus comes from the same
composition root as every function (`event_bus` provider, `ECO2_*` settings); knobs are
`ECO2_SSE_*` (config.py). Nothing connects before the lifespan starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse

from eventing.bus.port import EventBus
from eventing.sse.api import events_router
from eventing.sse.config import GatewayConfig, GatewaySettings
from eventing.sse.gateway import Gateway
from eventing.sse.metrics import GatewayMetrics
from functions.kit import http
from functions.kit.bootstrap import build_container, build_registry
from functions.kit.settings import Settings

API_PREFIX = "/api/v1"
READY_PROBE_JOB = "eco2-sse-ready-probe"


def create_gateway_app(
    settings: Settings | None = None,
    *,
    bus: EventBus | None = None,
    config: GatewayConfig | None = None,
) -> FastAPI:
    """The gateway app (uvicorn --factory); tests pass their own bus and config."""
    settings = settings or Settings()
    config = config or GatewaySettings().config()
    metrics = GatewayMetrics()
    holder: dict[str, Gateway] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            event_bus = bus
            if event_bus is None:
                container = build_container(settings, build_registry())
                stack.push_async_callback(container.close)
                event_bus = await container.get("event_bus")
            gateway = Gateway(event_bus, config, metrics)
            stack.push_async_callback(gateway.close)
            holder["gateway"] = gateway
            app.state.gateway = gateway
            app.include_router(events_router(gateway), prefix=API_PREFIX)
            yield

    app = FastAPI(title="Eco² SSE gateway", lifespan=lifespan)
    http.install(app)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/ready")
    async def ready() -> JSONResponse:
        gateway = holder.get("gateway")
        if gateway is None or gateway.hub.draining:
            return JSONResponse({"ready": False, "detail": "draining"}, status_code=503)
        try:
            await gateway.bus.owner_of(READY_PROBE_JOB)  # the bus answers at all
        except Exception as exc:
            return JSONResponse({"ready": False, "detail": repr(exc)}, status_code=503)
        return JSONResponse({"ready": True, "connections": metrics.connections})

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    return app
