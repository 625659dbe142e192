"""Deployed hosting: one function per process, as its own Knative Service.

Event functions are served by functions-framework (ASGI, http signature, since the Knative reply
contract needs the reply event in the response, which its cloudevent signature cannot return):

    functions-framework --source functions/kit/hosting.py --target serve \
        --signature-type http --asgi          # with ECO2_FUNCTION=<name>

HTTP functions are FastAPI apps, served by `http_hosting.py`.
Nothing is built at import; the first request (Knative's readiness probe) builds the function,
its adapters and only the modules its handler needs.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from typing import Any

from cloudevents.http import CloudEvent
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from eventing.broker.dispatch import Ack, Dead, Dispatcher, Outcome
from eventing.broker.policy import DeliveryPolicy
from eventing.catalog import Catalog
from eventing.codec import from_http_request, to_http_binary
from eventing.errors import MalformedEventError
from eventing.idempotency import ProcessedStore
from functions.kit import errors
from functions.kit.bootstrap import (
    build_container,
    local_function,
    registry_for,
    subscription_for,
)
from functions.kit.container import Container
from functions.kit.declare import Function, Kind
from functions.kit.http_publisher import IngressSender
from functions.kit.invoke import LocalFunction
from functions.kit.publisher import Publisher
from functions.kit.registry import Registry
from functions.kit.settings import Settings


class HostedEventFunction:
    """Knative delivers one event per request; the last reply goes back in the response."""

    def __init__(
        self,
        fn: Function,
        catalog: Catalog,
        function: LocalFunction,
        store: ProcessedStore,
        container: Container,
    ) -> None:
        self.fn = fn
        self.container = container
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
        values = {"ingress_sender": sender, "publisher": Publisher(registry.catalog, sender)}
        container = build_container(settings, registry, values | (extra_deps or {}))
        function = await local_function(fn, registry.catalog, container)
        store = await container.get("processed_store")
        return cls(fn, registry.catalog, function, store, container)

    async def handle(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"function": self.fn.name, "modules": len(sys.modules)})
        try:
            event = from_http_request(dict(request.headers), await request.body())
            self._catalog.parse(event)
        except MalformedEventError as exc:
            row = errors.row_for(exc)
            return JSONResponse(errors.error_body(exc.reason, row.code), status_code=row.status)
        replies: list[CloudEvent] = []

        async def collect(reply: CloudEvent) -> None:
            replies.append(reply)

        dispatcher = Dispatcher(collect, self._store, errors.classify, keep_replies=True)
        outcome = await dispatcher.process(self._subscription, event, attempt=1)
        return await self._respond(outcome, replies)

    async def _respond(self, outcome: Outcome, replies: list[CloudEvent]) -> Response:
        if isinstance(outcome, Ack):
            for extra in replies[:-1]:
                await self._sender(extra)
            if not replies:
                return Response(status_code=202)
            reply_headers, reply_body = to_http_binary(replies[-1])
            return Response(reply_body, status_code=200, headers=reply_headers)
        if isinstance(outcome, Dead):  # Knative does not retry a 422: straight to the DLS
            return JSONResponse(errors.error_body(outcome.error, "UNPROCESSABLE_EVENT"), 422)
        body = errors.error_body(outcome.error, "RETRY_LATER")
        if outcome.counts:
            return JSONResponse(body, status_code=503)
        return JSONResponse(body, status_code=429, headers={"Retry-After": "1"})  # busy


class _Host:
    """Built on first request so that importing this module does no I/O."""

    def __init__(self) -> None:
        self._function: HostedEventFunction | None = None
        self._lock = asyncio.Lock()

    async def __call__(self, request: Request) -> Response:
        if self._function is None:
            async with self._lock:
                if self._function is None:
                    settings = Settings()
                    if not settings.function:
                        raise RuntimeError("set ECO2_FUNCTION to the function to serve")
                    fn = registry_for(settings).get(settings.function)
                    if fn.kind is not Kind.EVENT:
                        raise RuntimeError(f"{fn.name} is an HTTP function: use create_http_app")
                    self._function = await HostedEventFunction.build(settings, fn)
        return await self._function.handle(request)


_host = _Host()


def hosted() -> HostedEventFunction:
    """The function this process hosts, once the first request built it (for probes, tests)."""
    if _host._function is None:
        raise RuntimeError("no function built yet: the first request builds it")
    return _host._function


async def serve(request: Request) -> Response:
    """The functions-framework target for every event function."""
    return await _host(request)
