"""The event router as its own process (the router Deployment):

    python -m functions.kit.deploy.event_router

This is the process's composition root: it reads `Settings` (ECO2_REDIS_URL,
ECO2_REDIS_CLUSTER, ECO2_REDIS_PREFIX, ECO2_BUS_SHARDS, ECO2_ROUTER_*, ECO2_HOST, ECO2_PORT;
the consumer name defaults to the pod's HOSTNAME plus the pid), runs the router loop of
`eventing.router` and serves its probes (`eventing.router.probes`). SIGTERM stops reading,
finishes the batch in hand and exits; whatever was read and not yet acknowledged stays
pending and is reclaimed by another replica (XAUTOCLAIM).
"""

from __future__ import annotations

import asyncio
import logging

import uvicorn
import uvloop

from eventing.bus.keys import BusKeys
from eventing.router.probes import probe_app
from eventing.router.router import EventRouter
from functions.kit.container import build_redis
from functions.kit.settings import Settings
from functions.kit.telemetry import configure_logging
from functions.kit.wiring import router_config

log = logging.getLogger("eventing.router")


async def serve(settings: Settings) -> None:
    redis = build_redis(settings)  # one server or a Redis Cluster (ECO2_REDIS_CLUSTER)
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
    configure_logging(settings)  # JSON lines in real mode (the router forwards `tp` as is)
    uvloop.run(serve(settings))  # libuv's loop: the router is a tight read-publish loop


if __name__ == "__main__":
    main()
