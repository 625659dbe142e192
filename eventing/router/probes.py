"""The router process's probes: a bare ASGI app (no framework to import at start).

`GET /health` (alive), `GET /ready` (Redis answers and the groups exist), `GET /metrics`
(per-shard lag and pending, this process's counters). The process that serves it is hosted
above, beside the kit (`functions.kit.deploy.event_router`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from eventing.errors import error_body
from eventing.redis_clients import REDIS_ERRORS, RedisClient
from eventing.router.metrics import collect, render_prometheus
from eventing.router.router import EventRouter

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
JSON = "application/json"


def probe_app(redis: RedisClient, router: EventRouter) -> ASGIApp:
    """The three probe paths over the router's Redis connection."""

    async def reply(send: Send, status: int, body: str, content_type: str) -> None:
        headers = [(b"content-type", content_type.encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body.encode()})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/health":
            await reply(send, 200, '{"status":"alive"}', JSON)
        elif path == "/ready":
            try:
                await redis.ping()
                await router.ensure_groups()
            except REDIS_ERRORS as exc:  # Redis down or refusing: not ready
                body = {"ready": False, "detail": type(exc).__name__}
                await reply(send, 503, json.dumps(body), JSON)
                return
            await reply(send, 200, '{"ready":true}', JSON)
        elif path == "/metrics":
            text = render_prometheus(await collect(redis, router.keys), router.counters)
            await reply(send, 200, text, "text/plain; version=0.0.4; charset=utf-8")
        else:
            await reply(send, 404, json.dumps(error_body("not found", "NOT_FOUND")), JSON)

    return app
