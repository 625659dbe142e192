"""`/internal/auth/revocations`: the revocation state over HTTP, for the ext-authz when
there is no Redis to read (embedded mode; docs/adr/0005). Cluster-internal, never public.

The stream sends a `: keepalive` comment as soon as its subscription is live, then one
`revoked` event per new entry and a keepalive at least every 15 s. A consumer subscribes,
waits for that first comment, then takes the snapshot: nothing falls in between.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from sse_starlette import EventSourceResponse, ServerSentEvent

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
        async def events() -> AsyncIterator[ServerSentEvent]:
            async with auth_revocation_store.subscribe() as feed:
                yield ServerSentEvent(comment=KEEPALIVE)  # the subscription is live
                async for entry in feed:
                    yield ServerSentEvent(data=json.dumps(entry.to_dict()), event="revoked")

        return EventSourceResponse(
            events(),
            ping=keepalive_s,
            ping_message_factory=lambda: ServerSentEvent(comment=KEEPALIVE),
            headers={"Cache-Control": "no-store"},
        )

    return api
