"""Observability at the composition root: the tracer provider and its exporter, JSON logs with
trace ids, the HTTP server span and request metrics, the internal `/metrics` route.

Nothing here runs at import. `Telemetry.start(settings)` is called once per process by the
composition module (mesh, hosted function, CLI); with `ECO2_OTEL_EXPORTER=none` (the default)
no SDK is imported and the eventing helpers stay switched off (eventing/tracing.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import IO, TYPE_CHECKING, Any

from eventing import tracing
from functions.kit.metrics import CONTENT_TYPE, Metrics
from functions.kit.settings import Settings

if TYPE_CHECKING:
    from fastapi import APIRouter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

# ruff: noqa: PLC0415 - the SDK and exporters are imported only when tracing is asked for
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
PROPAGATED = (b"traceparent", b"tracestate")
HANDLER_NAME = "eco2"


def exporter_for(settings: Settings) -> SpanExporter | None:
    """The span exporter `ECO2_OTEL_EXPORTER` names: console (stdout), file (JSON lines at
    `ECO2_OTEL_FILE`), otlp (OTLP/HTTP to `ECO2_OTEL_ENDPOINT`); none: no tracing."""
    kind = settings.otel_exporter
    if kind == "none":
        return None
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=settings.otel_endpoint)  # None: the OTEL_* env default
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    if kind == "console":
        return ConsoleSpanExporter()
    out = open(settings.otel_file or "eco2-spans.jsonl", "a", encoding="utf-8")  # noqa: SIM115
    return ConsoleSpanExporter(out=out, formatter=lambda span: span.to_json(indent=None) + "\n")


def tracer_provider(settings: Settings, exporter: SpanExporter) -> TracerProvider:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    name = settings.otel_service_name or settings.function or "eco2-mesh"
    provider = TracerProvider(
        resource=Resource.create({"service.name": name, "service.namespace": settings.namespace}),
        sampler=ParentBased(TraceIdRatioBased(settings.otel_sample_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


class Telemetry:
    """What one process observes with: its metrics registry and (maybe) its tracer provider."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self.metrics = metrics or Metrics()
        self.provider: TracerProvider | None = None
        self._file: IO[str] | None = None  # the file exporter's, closed after the last flush

    def start(self, settings: Settings) -> None:
        """Install the tracer provider the settings ask for (none: tracing stays off)."""
        exporter = exporter_for(settings)
        if exporter is not None and self.provider is None:
            self.provider = tracer_provider(settings, exporter)
            tracing.install(self.provider)
            if settings.otel_exporter == "file":
                self._file = getattr(exporter, "out", None)

    async def close(self) -> None:
        """Flush and stop the exporter (a blocking call: off the event loop)."""
        if self.provider is not None:
            tracing.uninstall()
            await asyncio.to_thread(self.provider.shutdown)
            self.provider = None
        if self._file is not None:
            self._file.close()
            self._file = None


class TraceIds(logging.Filter):
    """Adds the current span's `trace_id` and `span_id` to every record (empty outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.trace_id = record.span_id = ""
        if tracing.enabled():  # else the API may not even be loaded: nothing to name
            from opentelemetry import trace

            context = trace.get_current_span().get_span_context()
            if context.is_valid:
                record.trace_id = format(context.trace_id, "032x")
                record.span_id = format(context.span_id, "016x")
        return True


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> None:
    """The root logger: JSON lines (real mode, or `ECO2_LOG_FORMAT=json`) or text, both with
    the trace ids, so a log line leads to its trace and back. `stream`: stderr by default."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(TraceIds())
    json_logs = settings.log_format == "json" or (
        settings.log_format == "auto" and settings.mode == "real"
    )
    if json_logs:
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(
            f"{LOG_FORMAT} %(trace_id)s %(span_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        ))  # fmt: skip
    else:
        handler.setFormatter(logging.Formatter(f"{LOG_FORMAT} trace=%(trace_id)s"))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)  # configured again (a second app in the process): replaced
    root.addHandler(handler)
    root.setLevel(settings.log_level)


def metrics_router(metrics: Metrics) -> APIRouter:
    """`GET /metrics` for the INTERNAL listener only (the edge answers 404 on the public one)."""
    from fastapi import APIRouter
    from starlette.responses import Response

    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def exposition() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return router


def route_of(scope: Scope) -> str:
    """The matched route's template (bounded label values), never the raw path.

    FastAPI ≥ 0.16x keeps included routers whole: `scope["route"]` is the route as its own
    router declared it (without the include prefixes); the full template is on the route
    context FastAPI records in the scope, read here with the plain route as the fallback."""
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(context, "path_format", None) or getattr(scope.get("route"), "path", None)
    return str(path) if path else "unmatched"


class Observed:
    """ASGI middleware: the HTTP server span (continuing a caller's `traceparent`) and the
    request metrics. Installed innermost, where the router's match is visible in the scope."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracer = tracing.tracer()
        if scope["type"] != "http" or (tracer is None and self._metrics is None):
            await self._app(scope, receive, send)
            return
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        started = time.perf_counter()
        method = scope["method"]
        try:
            if tracer is None:
                await self._app(scope, receive, sending)
            else:
                await self._traced(tracer, scope, receive, sending, status)
        finally:
            if self._metrics is not None:
                seconds = time.perf_counter() - started
                self._metrics.http_request(route_of(scope), method, status[0], seconds)

    async def _traced(
        self, tracer: Any, scope: Scope, receive: Receive, send: Send, status: list[int]
    ) -> None:
        from opentelemetry.trace import SpanKind

        carried = {k.decode(): v.decode("latin-1") for k, v in scope["headers"]
                   if k.lower() in PROPAGATED}  # fmt: skip
        method = scope["method"]
        attributes = {"http.request.method": method, "url.path": scope["path"]}
        with tracer.start_as_current_span(
            f"{method} {scope['path']}", context=tracing.context_from(carried),
            kind=SpanKind.SERVER, attributes=attributes,
        ) as span:  # fmt: skip
            try:
                await self._app(scope, receive, send)
            finally:
                route = route_of(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status[0])
