"""The SSE gateway as a deployable: a persistent Deployment (not a Knative Service).

    uvicorn --factory functions.kit.deploy.sse_gateway:create_gateway_app --port 8080

It serves the two SSE routes under `/api/v1`, `/health`, `/ready` and `/metrics` (Prometheus
text; `eco2_sse_connections` is what the KEDA scaler reads). The bus comes from the same
composition root as every function (`event_bus` provider); the knobs are `ECO2_SSE_*` in the
one `Settings`. Nothing connects before the lifespan starts.

In the local mesh the gateway is mounted like an HTTP function instead: `FUNCTIONS` declares
it, and `router` is its handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from functions.kit.declare import Function, Kind, Scaling

if TYPE_CHECKING:  # the registry imports this module for FUNCTIONS alone: keep that light
    from fastapi import APIRouter, FastAPI

    from eventing.bus.port import EventBus
    from eventing.sse.api import Identity
    from eventing.sse.config import GatewayConfig
    from functions.kit.container import Container
    from functions.kit.settings import Settings

API_PREFIX = "/api/v1"
READY_PROBE_JOB = "eco2-sse-ready-probe"
SSE_GATEWAY = "sse-gateway"

# The gateway reads the kit's event bus: its adapter comes along when hosted alone.
REQUIRES = ("functions.kit.functions",)

FUNCTIONS = (
    Function(
        name=SSE_GATEWAY,
        domain="sse",
        kind=Kind.HTTP,
        handler="functions.kit.deploy.sse_gateway:router",
        route_prefix=API_PREFIX,
        scaling=Scaling(
            min_scale=1, max_scale=10, target_concurrency=1000, container_concurrency=5000
        ),
        description="Streams each scan/chat job's progress and tokens to its owner, with resume.",
    ),
)


def caller() -> Identity:
    """The gateway's identity: the kit's `CurrentUser` dependency (`x-user-id` from the edge,
    401 without it), looked up when a gateway is built: the registry imports this module for
    `FUNCTIONS` alone, and that must not load FastAPI."""
    from functions.kit.identity import CurrentUser  # noqa: PLC0415

    _, depends = get_args(CurrentUser)
    dependency: Identity = depends.dependency
    return dependency


def gateway_config(settings: Settings) -> GatewayConfig:
    from eventing.sse.config import GatewayConfig  # noqa: PLC0415

    return GatewayConfig(
        keepalive_s=settings.sse_keepalive_s,
        history_poll_s=settings.sse_history_poll_s,
        queue_size=settings.sse_queue_size,
        page_size=settings.sse_page_size,
        idle_timeout_s=settings.sse_idle_timeout_s,
        drain_grace_s=settings.sse_drain_grace_s,
        max_concurrent_reads=settings.sse_max_concurrent_reads,
    )


def router(event_bus: EventBus, container: Container) -> APIRouter:
    """The mesh's HTTP function: one gateway per process, closed with the container."""
    from eventing.sse.api import events_router  # noqa: PLC0415
    from eventing.sse.gateway import Gateway  # noqa: PLC0415
    from functions.kit.errors import http_status_and_code  # noqa: PLC0415

    gateway = Gateway(event_bus, gateway_config(container.settings), describe=http_status_and_code)
    container.on_close(gateway.close)
    return events_router(gateway, caller())


def create_gateway_app(
    settings: Settings | None = None,
    *,
    bus: EventBus | None = None,
    config: GatewayConfig | None = None,
) -> FastAPI:
    """The gateway app (uvicorn --factory); tests pass their own bus and config."""
    from functions.kit.settings import Settings  # noqa: PLC0415

    settings = settings or Settings()
    return _gateway_app(settings, bus, config or gateway_config(settings))


def _gateway_app(settings: Settings, bus: EventBus | None, config: GatewayConfig) -> FastAPI:
    import contextlib  # noqa: PLC0415 - the whole app, only in the gateway's own process
    from collections.abc import AsyncIterator  # noqa: PLC0415

    from fastapi import FastAPI  # noqa: PLC0415
    from fastapi.responses import JSONResponse, PlainTextResponse  # noqa: PLC0415

    from eventing.errors import EventingError  # noqa: PLC0415
    from eventing.sse.api import events_router  # noqa: PLC0415
    from eventing.sse.gateway import Gateway  # noqa: PLC0415
    from eventing.sse.metrics import GatewayMetrics  # noqa: PLC0415
    from functions.kit import http  # noqa: PLC0415
    from functions.kit.bootstrap import build_container, build_registry  # noqa: PLC0415
    from functions.kit.errors import http_status_and_code  # noqa: PLC0415
    from functions.kit.guard import Guard  # noqa: PLC0415
    from functions.kit.telemetry import Telemetry, configure_logging  # noqa: PLC0415

    metrics = GatewayMetrics()
    telemetry = Telemetry()  # tracing only: the SSE send spans join each job's trace
    holder: dict[str, Gateway] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            configure_logging(settings)
            telemetry.start(settings)
            stack.push_async_callback(telemetry.close)
            event_bus = bus
            if event_bus is None:
                container = build_container(settings, build_registry(domains=["sse"]))
                stack.push_async_callback(container.close)
                event_bus = await container.get("event_bus")
            gateway = Gateway(event_bus, config, metrics, describe=http_status_and_code)
            stack.push_async_callback(gateway.close)
            holder["gateway"] = gateway
            app.state.gateway = gateway
            app.include_router(events_router(gateway, caller()), prefix=API_PREFIX)
            yield

    app = FastAPI(title="Eco² SSE gateway", lifespan=lifespan, redirect_slashes=False)
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
        except EventingError as exc:
            return JSONResponse({"ready": False, "detail": repr(exc)}, status_code=503)
        return JSONResponse({"ready": True, "connections": metrics.connections})

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    app.add_middleware(  # outermost: malformed input and sizes, as on every public app
        Guard, max_body_bytes=settings.max_body_bytes, cors_origins=settings.allowed_origins
    )
    return app
