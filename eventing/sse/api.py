"""The SSE routes: `GET /scan/{job_id}/events` and `GET /chat/{job_id}/events`.

Only the job's owner may subscribe. Who the caller is, the host says: it passes its identity
dependency (the kit's `x-user-id` from the edge, 401 without it), so this module needs
nothing above `eventing`. The response is never CORS-wildcarded: the edge echoes the exact
origin with credentials, and nothing here adds an `Access-Control-*` header.
"""

# No `from __future__ import annotations`: FastAPI reads the route's annotations at runtime,
# and the identity dependency in them is this factory's argument, not a module global.

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from sse_starlette import EventSourceResponse
from starlette.responses import Response

from eventing.sse.gateway import Gateway

EVENT_PATHS = ("/scan/{job_id}/events", "/chat/{job_id}/events")
Identity = Callable[..., Awaitable[str]]  # a FastAPI dependency answering the caller's id
# For the OpenAPI document (the host gives every error answer its `{detail, code}` schema).
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The job's events: `event: <stage>`, `id: <seq>`, JSON `data`; "
        "`keepalive` events; a final `done`",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    401: {"description": "Not logged in"},
    404: {"description": "Unknown job, or not the caller's"},
    503: {"description": "The stream is unavailable or this replica is draining: reconnect"},
}


def events_router(gateway: Gateway, identity: Identity) -> APIRouter:
    """The two routes over `gateway`; `identity` is the host's caller dependency."""
    router = APIRouter(tags=["events"])

    async def events(
        job_id: str,
        user: Annotated[str, Depends(identity)],
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> Response:
        return await gateway.open(job_id, user, last_event_id)

    for path in EVENT_PATHS:
        router.add_api_route(path, events, methods=["GET"], response_class=EventSourceResponse,
                             responses=RESPONSES)  # fmt: skip
    return router
