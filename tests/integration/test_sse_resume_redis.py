"""Acceptance: a chat job streamed through real Redis, a running router and the gateway over
real HTTP, to a client that drops its connection three times and resumes with Last-Event-ID.

The client must end with exactly the emitted text (every token once, in order) and `done`,
also when two routers deliver at once — in two consumer groups (every event published twice
on Pub/Sub) or stealing each other's pending entries (late, out-of-order redeliveries).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from redis.asyncio import Redis

from eventing.bus.limits import BusLimits
from eventing.bus.redis_streams import RedisEventBus
from eventing.router.router import EventRouter, RouterConfig
from eventing.sse.config import GatewayConfig
from functions.kit.deploy.sse_gateway import create_gateway_app
from functions.kit.progress import Progress
from tests.load.sse.harness import Frame, base_url, read_sse, serve
from tests.rig import RedisNamespace

pytestmark = pytest.mark.integration

N_TOKENS = 500
STAGES = ("intent", "waste_rag", "answer")
WORDS = ("재활용 ", "eco ", "🌱", "a\nb ", '"quoted" ')  # UTF-8, newlines, JSON escapes
ONE = RouterConfig(consumer="r1", block_ms=50)
ROUTERS = {
    "one-router": [ONE],
    "two-groups": [ONE, replace(ONE, group="router-b", consumer="r2")],
    "stealing": [
        replace(ONE, claim_min_idle_ms=0, claim_every_s=0.01),
        replace(ONE, consumer="r2", claim_min_idle_ms=0, claim_every_s=0.01),
    ],
}


@contextlib.asynccontextmanager
async def routers(
    redis: Redis, bus: RedisEventBus, configs: list[RouterConfig]
) -> AsyncIterator[list[EventRouter]]:
    running = [EventRouter(redis, bus.keys, config) for config in configs]
    for router in running:
        await router.ensure_groups()
    tasks = [asyncio.create_task(router.run()) for router in running]
    try:
        yield running
    finally:
        for router in running:
            router.stop()
        await asyncio.gather(*tasks)


async def fake_chat_job(bus: RedisEventBus, job_id: str, seed: int) -> str:
    """Stages, then 500 tokens at an uneven pace, then `done`: what a chat job publishes."""
    rng = random.Random(seed)
    progress = Progress(bus, job_id)
    await progress.emit("queued", "completed", progress=0)
    text = ""
    for n, stage in enumerate(STAGES):
        async with progress.stage(stage, start=10 + 30 * n, end=30 + 30 * n):
            if stage != "answer":
                continue
            for i in range(N_TOKENS):
                token = f"{i}:{rng.choice(WORDS)}"
                text += token
                await progress.token(token, node="answer")
                if rng.random() < 0.05:
                    await asyncio.sleep(0.01)
    await progress.done(result={"intent": "waste", "answer": text})
    return text


async def resuming_client(
    http: httpx.AsyncClient, path: str, seed: int, job_done: asyncio.Event
) -> tuple[list[Frame], int, int]:
    """Reads the stream, disconnecting after a random number of events three times and
    reconnecting with the last id it saw (as EventSource does). Returns what it received,
    how often it reconnected and how many of those cuts fell while the job still streamed."""
    rng = random.Random(seed)
    cuts = [rng.randint(5, 200) for _ in range(3)]
    received: list[Frame] = []
    reconnects = cuts_while_live = 0
    last: int | None = None
    while True:
        stop_after = cuts[reconnects] if reconnects < len(cuts) else None
        frames = await read_sse(http, path, last_event_id=last, stop_after=stop_after)
        received += [f for f in frames if f.event != "keepalive"]
        if received and received[-1].event == "done":
            return received, reconnects, cuts_while_live
        reconnects += 1
        cuts_while_live += not job_done.is_set()
        last = received[-1].id if received else last


@pytest.mark.parametrize("setup", list(ROUTERS))
async def test_resuming_client_gets_exactly_the_emitted_text(
    redis_url_and_prefix: RedisNamespace, setup: str
) -> None:
    url, prefix = redis_url_and_prefix
    redis = Redis.from_url(url)
    bus = RedisEventBus(redis, prefix=prefix, limits=BusLimits(shards=2))
    app = create_gateway_app(bus=bus, config=GatewayConfig(keepalive_s=0.5))
    try:
        async with (
            routers(redis, bus, ROUTERS[setup]) as running,
            serve(app) as server,
            httpx.AsyncClient(base_url=base_url(server), timeout=20) as http,
        ):
            await bus.register_job("job-1", "alice", "chat")
            await bus.publish_progress("job-1", "queued", "started", progress=0)
            job_done = asyncio.Event()
            path = "/api/v1/chat/job-1/events"
            client = asyncio.create_task(resuming_client(http, path, 7, job_done))
            await asyncio.sleep(0.1)  # the client is following live when tokens start
            text = await fake_chat_job(bus, "job-1", seed=11)
            job_done.set()
            frames, reconnects, cuts_while_live = await asyncio.wait_for(client, 60)
            metrics = (await http.get("/metrics")).text
            delivered = sum(r.counters.delivered for r in running)
    finally:
        await redis.aclose()
    assert reconnects == 3
    assert cuts_while_live >= 1  # resumed mid-stream, not only replayed a finished job
    assert "".join(f.data["content"] for f in frames if f.event == "token") == text
    ids = [f.id for f in frames]
    assert ids == list(range(1, len(ids) + 1))  # every seq once, in order, none missing
    assert frames[-1].event == "done" and frames[-1].data["status"] == "completed"
    assert frames[-1].data["result"]["answer"] == text
    assert delivered >= len(ids)
    if setup == "two-groups":  # every event reached the gateway twice; the client saw one
        assert delivered >= 2 * len(ids)
        skipped = next(x for x in metrics.splitlines() if x.startswith("eco2_sse_duplicates"))
        assert int(skipped.split()[-1]) > 0
