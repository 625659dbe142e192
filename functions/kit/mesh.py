"""The local mesh: every function, the broker and every HTTP route in one process, one port.

This is what `scripts/eco2 run` serves. Embedded mode needs no servers; `--real` switches
the same wiring to RabbitMQ and Redis. Deployed, each function runs alone (see hosting.py).
In the real mode a `Role` (worker.py) splits it: an HTTP process and event-function workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from cloudevents.conversion import to_dict
from cloudevents.http import CloudEvent
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from eventing.broker.port import Subscription
from eventing.events.mesh import CanaryEchoed, CanaryRequested
from eventing.filters import exact
from eventing.ingress import ingress_router
from functions.kit import errors, http
from functions.kit.authz_process import AuthzProcess
from functions.kit.bootstrap import Runtime, build_registry, build_runtime
from functions.kit.declare import Kind
from functions.kit.edge import Edge
from functions.kit.functions import CANARY_ECHOED as ECHOED
from functions.kit.invoke import resolve
from functions.kit.progress import start_event_router
from functions.kit.registry import Registry
from functions.kit.settings import Settings
from functions.kit.ticker import Tickers
from functions.kit.worker import Role, declare_triggers


class CanaryWatch:
    """Resolves a waiting probe when its echo comes back through the broker."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[CanaryEchoed]] = {}

    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
        echoed = CanaryEchoed.model_validate(event.get_data())
        future = self.waiting.get(echoed.probe_id)
        if future is not None and not future.done():
            future.set_result(echoed)
        return ()


class ReplayRequest(BaseModel):
    ids: list[str] | None = None  # None replays every dead letter


class Mesh:
    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        extra_deps: dict[str, Any] | None = None,
        role: Role | None = None,
    ) -> None:
        self.role = role or Role()
        self.role.check(settings)
        self.consumed = self.role.event_functions(registry)  # fails now on a bad selection
        self.settings = settings
        self.registry = registry
        self.extra_deps = extra_deps or {}
        self.runtime: Runtime | None = None
        self.grpc: Any = None  # CharacterService, when settings.grpc_port is set
        self.canary = CanaryWatch()
        self.app = FastAPI(title="Eco² mesh", lifespan=self._lifespan)
        http.install(self.app)
        public = self.role.http  # an events-only process has no public routes to guard
        self.authz = (
            AuthzProcess(settings, settings.authz_binary)
            if settings.authz_binary and public
            else None
        )
        if settings.edge_url and public:
            self.app.add_middleware(Edge, authz_url=settings.edge_url)
        self.app.add_middleware(  # outermost: preflights and every answer, denials included
            CORSMiddleware,
            allow_origins=list(settings.allowed_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["content-type", "x-frontend-origin", "last-event-id"],
        )

    async def start(self) -> None:
        """Build adapters, subscribe functions, mount routes, start consuming."""
        if self.runtime is not None:
            return
        runtime = await build_runtime(
            self.settings, self.registry, self.consumed, extra_deps=self.extra_deps
        )
        self.app.include_router(self._operations(runtime))
        if self.role.http:
            await self._serve_http(runtime)
        # Real mode: the event router runs here as a task (stopped by runtime.close).
        if self.role.runs_router:
            await start_event_router(runtime.container)
        await runtime.broker.start()
        tickers = Tickers(runtime.broker.publish, self.settings.namespace,
                          self.settings.ticker_interval_s)  # fmt: skip
        tickers.start(self.consumed)
        runtime.container.on_close(tickers.stop)
        self.runtime = runtime
        if self.authz is not None:
            await self.authz.start()
            runtime.container.on_close(self.authz.stop)

    async def _serve_http(self, runtime: Runtime) -> None:
        """The public side: ingress, HTTP functions, the canary's echo watch, internal gRPC."""
        runtime.broker.subscribe(
            Subscription(
                name="mesh-canary-watch", subscriber=self.canary, filters=(exact("type", ECHOED),)
            )
        )
        self.app.include_router(
            ingress_router(self.settings.ingress_path, runtime.broker, self.registry.catalog)
        )
        self.app.include_router(self._admin(runtime))
        for fn in self.registry.of_kind(Kind.HTTP):
            factory = resolve(fn.handler)
            self.app.include_router(
                factory(**await runtime.container.kwargs_for(factory, fn.name)),
                prefix=fn.route_prefix or "",
            )
        if self.settings.grpc_port is not None:  # stopped by runtime.close (container)
            from functions.character.grpc_server import start_for  # noqa: PLC0415

            self.grpc = await start_for(runtime.container)
        if self.settings.mode == "real" and not self.role.consumes:
            await declare_triggers(self.settings, self.registry.of_kind(Kind.EVENT))

    async def close(self) -> None:
        if self.runtime is not None:
            await self.runtime.close()
            self.runtime = None

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.close()

    def _operations(self, runtime: Runtime) -> APIRouter:
        router = APIRouter(tags=["operations"])
        broker = runtime.broker

        @router.get("/health")
        async def health() -> dict[str, str]:
            return {"status": "alive"}

        @router.get("/ready")
        async def ready() -> JSONResponse:
            state = broker.health()
            body = {
                "ready": state.ready,
                "detail": state.detail,
                "functions": len(self.registry),
                "mode": self.settings.mode,
                "serve": self.role.serve,
                "consuming": [fn.name for fn in self.consumed],
                "modules": len(sys.modules),
            }
            return JSONResponse(body, status_code=200 if state.ready else 503)

        return router

    def _admin(self, runtime: Runtime) -> APIRouter:
        """Operators' calls (dead letters, canary): on the process that serves HTTP."""
        router = APIRouter(tags=["operations"])
        broker = runtime.broker

        @router.get("/admin/dead-letters")
        async def dead_letters(limit: int = 100) -> list[dict[str, Any]]:
            return [
                {
                    "id": d.id,
                    "trigger": d.trigger,
                    "attempts": d.attempts,
                    "error": d.error,
                    "failed_at": d.failed_at.isoformat(),
                    "event": to_dict(d.event) if d.event is not None else None,
                }
                for d in await broker.dead_letters(limit)
            ]

        @router.post("/admin/dead-letters/replay")
        async def replay(body: ReplayRequest) -> dict[str, int]:
            return {"replayed": await broker.replay(body.ids)}

        @router.post("/admin/canary")
        async def canary(timeout_s: float = 5.0) -> dict[str, Any]:
            return await self.probe(timeout_s)

        return router

    async def probe(self, timeout_s: float) -> dict[str, Any]:
        """Publish a probe and wait for its echo: the broker path, timed end to end."""
        assert self.runtime is not None
        probe_id = str(uuid.uuid4())
        future: asyncio.Future[CanaryEchoed] = asyncio.get_running_loop().create_future()
        self.canary.waiting[probe_id] = future
        started = time.perf_counter()
        try:
            publisher = await self.runtime.container.get("publisher")
            await publisher.publish(CanaryRequested(probe_id=probe_id, sent_at=datetime.now(UTC)))
            await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise errors.UnavailableError(f"canary {probe_id} not echoed in {timeout_s}s") from None
        finally:
            self.canary.waiting.pop(probe_id, None)
        return {
            "probe_id": probe_id,
            "round_trip_ms": round((time.perf_counter() - started) * 1000, 2),
        }


def app_from_env() -> FastAPI:
    """What each process of `eco2 run --workers K` serves (`uvicorn --factory`): the mesh, with
    its settings and role (ECO2_MESH_SERVE, ...; see worker.py) read from the environment."""
    return Mesh(Settings(), build_registry(), role=Role.from_env()).app
