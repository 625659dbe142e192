"""Broker ingress over HTTP, as Knative's `broker-ingress` serves `/{namespace}/{broker}`.

An event is accepted (202) only once the broker has durably taken it; a malformed or
uncatalogued event is refused with 400 and a reason, a broker outage with 503.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from eventing.broker.port import Broker
from eventing.catalog import Catalog
from eventing.codec import from_http_request


def ingress_router(path: str, broker: Broker, catalog: Catalog) -> APIRouter:
    router = APIRouter()

    @router.post(path, status_code=202, tags=["eventing"])
    async def ingest(request: Request) -> Response:
        event = from_http_request(dict(request.headers), await request.body())
        catalog.parse(event)  # unknown type or data off its schema -> 400 with the reason
        await broker.publish(event)
        return Response(status_code=202)

    return router
