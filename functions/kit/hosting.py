"""Deployed hosting of one event function per process, as its own Knative Service.

Knative delivers one event per HTTP request and takes the reply event from the response (its
reply contract), so a host is a tiny HTTP app. The deployed command is uvicorn with the bare
ASGI app below (ADR 0012: functions-framework imports Flask, Werkzeug and Jinja on top of its
ASGI mode, ~0.3 s of every scale-from-zero for nothing we use):

    uvicorn --factory functions.kit.hosting:create_event_app --port 8080  # ECO2_FUNCTION=<name>

The functions-framework target stays for operators who run functions that way:

    functions-framework --source functions/kit/hosting.py --target serve \
        --signature-type http --asgi

HTTP functions are FastAPI apps, served by `http_hosting.py`. Nothing is built at import; the
first request (Knative's readiness probe) builds the function, its adapters and only the
modules of its own domain (`ECO2_DOMAIN`).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cloudevents.http import CloudEvent

from eventing.broker.dispatch import Ack, Dead, Dispatcher, Outcome
from eventing.broker.policy import DeliveryPolicy
from eventing.catalog import Catalog
from eventing.codec import from_http_request, to_http_binary
from eventing.errors import MalformedEventError, PermanentError, TransientError
from eventing.idempotency import ProcessedStore
from functions.kit import errors
from functions.kit.bootstrap import build_container, local_function, registry_for, subscription_for
from functions.kit.container import Container
from functions.kit.declare import Function, Kind
from functions.kit.http_publisher import IngressSender
from functions.kit.invoke import LocalFunction
from functions.kit.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from functions.kit.publisher import Publisher
from functions.kit.registry import Registry
from functions.kit.settings import Settings
from functions.kit.telemetry import Telemetry, configure_logging

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Answer = tuple[int, dict[str, str], bytes]  # status, headers, body
JSON = "application/json"


def _json(status: int, body: dict[str, Any], **headers: str) -> Answer:
    return status, {"content-type": JSON, **headers}, json.dumps(body).encode()


def _error(exc: Exception, **headers: str) -> Answer:
    """An outcome answered as the one error table says (status and code)."""
    status, code = errors.http_status_and_code(exc)
    return _json(status, errors.error_body(str(exc), code), **headers)


class HostedEventFunction:
    """Knative delivers one event per request; the last reply goes back in the response."""

    def __init__(
        self,
        fn: Function,
        catalog: Catalog,
        function: LocalFunction,
        store: ProcessedStore,
        container: Container,
        *,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.fn = fn
        self.container = container
        self.telemetry = telemetry or Telemetry()
        self._catalog = catalog
        self._store = store
        self._sender: IngressSender = container.get_now("ingress_sender")
        # Knative counts attempts and dead-letters; one attempt per request here, and a
        # transient failure must answer 5xx (retry) unless the trigger allows no retries.
        once = DeliveryPolicy(retries=min(fn.delivery.retries, 1), timeout_s=fn.delivery.timeout_s)
        self._subscription = replace(subscription_for(fn, function), delivery=once)

    @classmethod
    async def build(
        cls,
        settings: Settings,
        fn: Function,
        registry: Registry | None = None,
        extra_deps: dict[str, Any] | None = None,
    ) -> HostedEventFunction:
        """Build only this function's dependencies: its cold start is its own."""
        registry = registry or registry_for(settings)
        sender = IngressSender(settings.broker_ingress_url)
        telemetry = Telemetry()
        telemetry.start(settings)
        values = {"ingress_sender": sender, "publisher": Publisher(registry.catalog, sender),
                  "metrics": telemetry.metrics}  # fmt: skip
        container = build_container(settings, registry, values | (extra_deps or {}))
        container.on_close(telemetry.close)
        function = await local_function(fn, registry.catalog, container)
        store = await container.get("processed_store")
        return cls(fn, registry.catalog, function, store, container, telemetry=telemetry)

    def probe(self) -> Answer:
        return _json(200, {"function": self.fn.name, "modules": len(sys.modules)})

    async def deliver(self, headers: dict[str, str], body: bytes) -> Answer:
        """One delivery: decode and validate (once; the handler gets the same data), run it
        through the dispatcher, answer as Knative's reply contract wants."""
        try:
            event = from_http_request(headers, body)
            self._catalog.parse(event)
        except MalformedEventError as exc:
            status, code = errors.http_status_and_code(exc)
            return _json(status, errors.error_body(exc.reason, code))
        replies: list[CloudEvent] = []

        async def collect(reply: CloudEvent) -> None:
            replies.append(reply)

        dispatcher = Dispatcher(collect, self._store, errors.classify, keep_replies=True,
                                observer=self.telemetry.metrics)  # fmt: skip
        outcome = await dispatcher.process(self._subscription, event, attempt=1)
        return await self._answer(outcome, replies)

    async def _answer(self, outcome: Outcome, replies: list[CloudEvent]) -> Answer:
        if isinstance(outcome, Ack):
            for extra in replies[:-1]:
                await self._sender(extra)
            if not replies:
                return 202, {}, b""
            reply_headers, reply_body = to_http_binary(replies[-1])
            return 200, dict(reply_headers), reply_body
        if isinstance(outcome, Dead):  # Knative does not retry a 422: straight to the DLS
            return _error(PermanentError(outcome.error))
        if outcome.counts:  # a failed attempt: Knative retries a 5xx with its backoff
            return _error(TransientError(outcome.error))
        return _error(errors.BusyError(outcome.error), **{"retry-after": "1"})  # held: no attempt

    async def handle(self, request: Request) -> Response:
        """The same, for a Starlette request (functions-framework's target, tests)."""
        from starlette.responses import Response  # noqa: PLC0415 - the FF path only

        if request.method == "GET":
            status, headers, body = self.probe()
        else:
            status, headers, body = await self.deliver(dict(request.headers), await request.body())
        return Response(body, status_code=status, headers=headers)


class _Host:
    """Built on first request so that importing this module does no I/O."""

    def __init__(self) -> None:
        self._function: HostedEventFunction | None = None
        self._lock = asyncio.Lock()

    async def function(self) -> HostedEventFunction:
        if self._function is None:
            async with self._lock:
                if self._function is None:
                    settings = Settings()
                    configure_logging(settings)
                    if not settings.function:
                        raise RuntimeError("set ECO2_FUNCTION to the function to serve")
                    fn = registry_for(settings).get(settings.function)
                    if fn.kind is not Kind.EVENT:
                        raise RuntimeError(f"{fn.name} is an HTTP function: use create_http_app")
                    self._function = await HostedEventFunction.build(settings, fn)
        return self._function


_host = _Host()


async def serve(request: Request) -> Response:
    """The functions-framework target for every event function."""
    return await (await _host.function()).handle(request)


def create_event_app(max_body_bytes: int | None = None) -> Callable[..., Awaitable[None]]:
    """The deployed app (uvicorn --factory): bare ASGI, GET = readiness probe (builds the
    function), POST = one delivery; a body over the limit is refused before it is read whole."""
    limit = max_body_bytes or Settings().max_body_bytes
    lazy = _Host()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        host = await lazy.function()
        if scope["method"] == "GET" and scope["path"] == "/metrics":  # cluster-local Service
            metrics = host.telemetry.metrics
            answer = 200, {"content-type": METRICS_CONTENT_TYPE}, metrics.render()
        elif scope["method"] == "GET":
            answer = host.probe()
        else:
            body = await _body(receive, limit)
            if body is None:
                answer = _json(413, errors.error_body("event too large", "PAYLOAD_TOO_LARGE"))
            else:
                headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
                answer = await host.deliver(headers, body)
        status, headers, body = answer
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    return app


async def _body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
