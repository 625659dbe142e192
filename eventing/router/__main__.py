"""The event router as its own process: `python -m eventing.router` (the router Deployment).

This is the process's composition root, so it reads `Settings` (ECO2_REDIS_URL, ECO2_REDIS_PREFIX,
ECO2_BUS_SHARDS, ECO2_ROUTER_*, ECO2_HOST, ECO2_PORT). It runs the router loop and a tiny HTTP
server for probes and Prometheus: `GET /health` (alive), `GET /ready` (Redis answers and the
groups exist), `GET /metrics` (per-shard lag and pending, this process's counters).
SIGTERM stops reading, finishes the batch in hand and exits; whatever was read and not yet
acknowledged stays pending and is reclaimed by another replica (XAUTOCLAIM).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn
import uvloop
from redis.asyncio import Redis

from eventing.bus.keys import BusKeys
from eventing.router.metrics import collect, render_prometheus
from eventing.router.router import EventRouter
from functions.kit.progress import router_config
from functions.kit.settings import Settings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

log = logging.getLogger("eventing.router")


def probe_app(
    redis: Redis, router: EventRouter
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """A bare ASGI app (no framework to import at start) for the three probe paths."""

    async def reply(send: Send, status: int, body: str, content_type: str) -> None:
        headers = [(b"content-type", content_type.encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body.encode()})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/health":
            await reply(send, 200, '{"status":"alive"}', "application/json")
        elif path == "/ready":
            try:
                await redis.ping()
                await router.ensure_groups()
            except Exception as exc:  # any failure means not ready
                await reply(send, 503, f'{{"ready":false,"detail":"{type(exc).__name__}"}}',
                            "application/json")  # fmt: skip
                return
            await reply(send, 200, '{"ready":true}', "application/json")
        elif path == "/metrics":
            text = render_prometheus(await collect(redis, router.keys), router.counters)
            await reply(send, 200, text, "text/plain; version=0.0.4; charset=utf-8")
        else:
            await reply(send, 404, '{"error":"not found"}', "application/json")

    return app


async def serve(settings: Settings) -> None:
    redis = Redis.from_url(settings.redis_url)
    router = EventRouter(
        redis, BusKeys(settings.redis_prefix, settings.bus_shards), router_config(settings)
    )
    log.info("event router %s on %d shards", router.config.consumer, settings.bus_shards)
    running = asyncio.create_task(router.run(), name="event-router")
    config = uvicorn.Config(
        probe_app(redis, router),
        host=settings.host,
        port=settings.port,
        lifespan="off",
        access_log=False,
        log_level=settings.log_level.lower(),
    )
    server = uvicorn.Server(config)

    def router_ended(_: asyncio.Task[None]) -> None:  # a crashed loop must not look alive
        server.should_exit = True

    running.add_done_callback(router_ended)
    try:
        await server.serve()  # returns on SIGTERM / SIGINT
    finally:
        router.stop()
        await running
        await redis.aclose()


def main() -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    uvloop.run(serve(settings))  # libuv's loop: the router is a tight read-publish loop


if __name__ == "__main__":
    main()
