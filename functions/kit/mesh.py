"""The local mesh: every function, the broker and every HTTP route in one process.

This is what `eco2 run` serves, on two listeners, as a cluster would expose them:
- the public one (`port`), behind the edge: only the PWA's API, `/health`, `/ready` and public
  media;
- the internal one (`internal_port`): the broker ingress, the internal HTTP functions (the
  dead-letter sink, the revocation feed) and the operator calls under `/admin/`, which the
  edge lets through only for an operator identity.
Embedded mode needs no servers; `--real` switches the same wiring to RabbitMQ, Redis and
PostgreSQL. Deployed, each function runs alone (see hosting.py). In the real mode a `Role`
(worker.py) splits it: an HTTP process and event-function workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from eventing.broker.port import Subscription
from eventing.filters import exact
from eventing.ingress import ingress_router
from functions.kit import http
from functions.kit.authz_check import authz_check_for
from functions.kit.authz_process import AuthzProcess
from functions.kit.bootstrap import Runtime, build_registry, build_runtime
from functions.kit.declare import Function, Kind
from functions.kit.edge import OPERATOR_PATHS, Edge
from functions.kit.functions import CANARY_ECHOED as ECHOED
from functions.kit.guard import Guard, HttpProtocol
from functions.kit.invoke import resolve
from functions.kit.operations import CanaryWatch, operator_routes, probes
from functions.kit.registry import Registry
from functions.kit.settings import Settings
from functions.kit.telemetry import Observed, Telemetry, configure_logging, metrics_router
from functions.kit.ticker import Tickers
from functions.kit.wiring import start_event_router
from functions.kit.worker import Role, declare_triggers

log = logging.getLogger(__name__)


class _Listener(uvicorn.Server):
    """A second server in a process that already has one: the first owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Mesh:
    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        extra_deps: dict[str, Any] | None = None,
        role: Role | None = None,
        *,
        listen_internal: bool = False,
    ) -> None:
        self.role = role or Role()
        self.role.check(settings)
        self.consumed = self.role.event_functions(registry)  # fails now on a bad selection
        self.settings = settings
        self.registry = registry
        self.extra_deps = extra_deps or {}
        self.listen_internal = listen_internal and self.role.http
        self.runtime: Runtime | None = None
        self.grpc: Any = None  # CharacterService, when settings.grpc_port is set
        self.canary = CanaryWatch()
        # No trailing-slash redirects: Starlette builds their Location from the Host header.
        self.app = FastAPI(title="Eco² API", lifespan=self._lifespan, redirect_slashes=False)
        self.internal_app = FastAPI(title="Eco² mesh (internal)", redirect_slashes=False)
        http.install(self.app)
        http.install(self.internal_app)
        # Innermost, where the matched route is visible: server spans and request metrics.
        self.telemetry = Telemetry()
        self.app.add_middleware(Observed, metrics=self.telemetry.metrics)
        self.internal_app.add_middleware(Observed, metrics=self.telemetry.metrics)
        public = self.role.http  # an events-only process has no public routes to guard
        self.authz = (
            AuthzProcess(settings, settings.authz_binary)
            if settings.authz_binary and public
            else None
        )
        self.authz_check = authz_check_for(settings) if public else None
        if self.authz_check is not None:  # one way to the authz for both listeners
            self.app.add_middleware(Edge, authz=self.authz_check)
            self.internal_app.add_middleware(Edge, authz=self.authz_check, guarded=OPERATOR_PATHS)
        self.app.add_middleware(  # outermost: preflights and every answer, denials included
            CORSMiddleware,
            allow_origins=list(settings.allowed_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "content-type",
                "x-frontend-origin",
                "last-event-id",
                "x-idempotency-key",
            ],
        )
        # Outermost of all: malformed input and sizes, its denials with the PWA's CORS too.
        self.app.add_middleware(
            Guard, max_body_bytes=settings.max_body_bytes, cors_origins=settings.allowed_origins
        )
        self.internal_app.add_middleware(Guard, max_body_bytes=settings.max_body_bytes)

    async def start(self) -> None:
        """Build adapters, subscribe functions, mount routes, start consuming."""
        if self.runtime is not None:
            return
        self.telemetry.start(self.settings)
        deps = {"metrics": self.telemetry.metrics, **self.extra_deps}
        runtime = await build_runtime(self.settings, self.registry, self.consumed,
                                      extra_deps=deps, observer=self.telemetry.metrics)  # fmt: skip
        runtime.container.on_close(self.telemetry.close)
        ready = probes(runtime.broker, self._describe, self.authz_check)
        self.app.include_router(ready)
        self.internal_app.include_router(ready)
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
        if self.listen_internal:
            await self._start_internal_listener(runtime)
            await self._issue_operator_credential(runtime)
        if self.authz is not None:
            await self.authz.start()
            runtime.container.on_close(self.authz.stop)

    async def _serve_http(self, runtime: Runtime) -> None:
        """Routes: the public API on `app`; ingress, sinks, feeds and operators on
        `internal_app`; the canary's echo watch; the internal gRPC service."""
        runtime.broker.subscribe(
            Subscription(
                name="mesh-canary-watch", subscriber=self.canary, filters=(exact("type", ECHOED),)
            )
        )
        internal = self.internal_app
        catalog = self.registry.catalog
        internal.include_router(ingress_router(self.settings.ingress_path, runtime.broker, catalog))
        internal.include_router(metrics_router(self.telemetry.metrics))
        publisher = await runtime.container.get("publisher")
        internal.include_router(operator_routes(runtime.broker, self.canary, publisher))
        for fn in self.registry.of_kind(Kind.HTTP):
            target = self.app if fn.public else internal
            target.include_router(await self._router(fn, runtime), prefix=fn.route_prefix or "")
        if self.settings.grpc_port is not None:  # stopped by runtime.close (container)
            from functions.character.grpc_server import start_for  # noqa: PLC0415

            self.grpc = await start_for(runtime.container)
        if self.settings.mode == "real" and not self.role.consumes:
            await declare_triggers(self.settings, self.registry.of_kind(Kind.EVENT))

    @staticmethod
    async def _router(fn: Function, runtime: Runtime) -> Any:
        factory = resolve(fn.handler)
        return factory(**await runtime.container.kwargs_for(factory, fn.name))

    async def _start_internal_listener(self, runtime: Runtime) -> None:
        """Serve `internal_app` on its own port, in this process. The socket is bound (with
        SO_REUSEPORT, so `--workers K` processes share it) and listening before this returns,
        so callers queue in its backlog rather than being refused while uvicorn starts."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((self.settings.host, self.settings.internal_port))
        sock.listen(2048)
        config = uvicorn.Config(self.internal_app, lifespan="off", log_level="warning",
                                access_log=False, http=HttpProtocol)  # fmt: skip
        server = _Listener(config)
        task = asyncio.create_task(server.serve(sockets=[sock]), name="internal-listener")

        async def stop() -> None:
            server.should_exit = True
            await task
            sock.close()

        runtime.container.on_close(stop)

    async def _issue_operator_credential(self, runtime: Runtime) -> None:
        """Where this process signs sessions, it leaves the local operator (`eco2
        dead-letters`, `eco2 canary`) a token for `operator:local` in the credential file."""
        if "auth_keyring" not in runtime.container:
            return
        from functions.auth.operator import issue_local_credential  # noqa: PLC0415

        keyring = await runtime.container.get("auth_keyring")
        path = issue_local_credential(keyring, self.settings)
        log.info("operator credential for operator:local written to %s", path)

    async def _describe(self) -> dict[str, Any]:
        return {
            "functions": len(self.registry),
            "mode": self.settings.mode,
            "serve": self.role.serve,
            "consuming": [fn.name for fn in self.consumed],
        }

    async def probe(self, timeout_s: float) -> dict[str, Any]:
        """The canary, for callers in this process (the operator route uses the same)."""
        assert self.runtime is not None
        return await self.canary.probe(await self.runtime.container.get("publisher"), timeout_s)

    async def close(self) -> None:
        if self.runtime is not None:
            await self.runtime.close()
            self.runtime = None
        if self.authz_check is not None:
            await self.authz_check.aclose()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.close()


def app_from_env() -> FastAPI:
    """What each process of `eco2 run --workers K` serves (`uvicorn --factory`): the mesh, with
    its settings and role (ECO2_MESH_SERVE, ...; see worker.py) read from the environment; each
    process also serves the internal listener on the shared internal port."""
    settings = Settings()
    configure_logging(settings)
    role = Role.from_settings(settings)
    return Mesh(settings, build_registry(), role=role, listen_internal=True).app
