"""The SSE routes: `GET /scan/{job_id}/events` and `GET /chat/{job_id}/events`.

Only the job's owner may subscribe; the caller is the `x-user-id` the edge injected
(`CurrentUser`: 401 without it). The response is never CORS-wildcarded: the edge echoes the
exact origin with credentials, and nothing here adds an `Access-Control-*` header.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from sse_starlette import EventSourceResponse
from starlette.responses import Response

from eventing.bus.port import EventBus
from eventing.sse.gateway import Gateway
from functions.kit.container import Container
from functions.kit.identity import CurrentUser

EVENT_PATHS = ("/scan/{job_id}/events", "/chat/{job_id}/events")


def events_router(gateway: Gateway) -> APIRouter:
    router = APIRouter(tags=["events"])

    async def events(
        job_id: str,
        user: CurrentUser,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> Response:
        return await gateway.open(job_id, user, last_event_id)

    for path in EVENT_PATHS:
        router.add_api_route(path, events, methods=["GET"], response_class=EventSourceResponse)
    return router


def router(event_bus: EventBus, container: Container) -> APIRouter:
    """The mesh's HTTP function: one gateway per process, closed with the container."""
    gateway = Gateway(event_bus)
    container.on_close(gateway.close)
    return events_router(gateway)
