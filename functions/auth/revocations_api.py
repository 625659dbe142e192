"""`/internal/auth/revocations`: the revocation state over HTTP, for the ext-authz when
there is no Redis to read (embedded mode; docs/adr/0005). Cluster-internal, never public.

The stream is subscribed before its response starts, so a consumer that opens it and then
takes the snapshot misses nothing. It sends a `: keepalive` comment at once, then one
`revoked` event per new entry and a keepalive at least every 15 s.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask

from functions.auth.ports import RevocationStore
from functions.kit.settings import Settings

KEEPALIVE = "keepalive"


def router(settings: Settings, auth_revocation_store: RevocationStore) -> APIRouter:
    api = APIRouter(tags=["auth"])
    keepalive_s = min(settings.auth_revocation_keepalive_s, 15.0)

    @api.get("")
    async def snapshot() -> dict[str, Any]:
        now = time.time()
        revoked = await auth_revocation_store.snapshot(now)
        return {"revoked": [r.to_dict() for r in revoked], "as_of": int(now)}

    @api.get("/stream")
    async def stream() -> EventSourceResponse:
        # Subscribed before the response starts: a consumer that takes the snapshot as soon
        # as it sees the headers misses nothing. Closed once the response ends, however it ends.
        stack = contextlib.AsyncExitStack()
        feed = await stack.enter_async_context(auth_revocation_store.subscribe())

        async def events() -> AsyncIterator[ServerSentEvent]:
            yield ServerSentEvent(comment=KEEPALIVE)
            async for entry in feed:
                yield ServerSentEvent(data=json.dumps(entry.to_dict()), event="revoked")

        return EventSourceResponse(
            events(),
            ping=keepalive_s,
            ping_message_factory=lambda: ServerSentEvent(comment=KEEPALIVE),
            headers={"Cache-Control": "no-store"},
            background=BackgroundTask(stack.aclose),
        )

    return api
