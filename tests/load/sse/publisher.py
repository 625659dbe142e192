"""The publisher process of the SSE benchmark: every job streams tokens through the Redis bus.

    python -m tests.load.sse.publisher <config.json>   # started by tests/load/sse_bench.py

Each job publishes `answer started`, `tokens` tokens one `interval_s` apart (jobs start spread
over one interval, so the load is even), `answer completed` and `done`. A token's content is
`<index>@<monotonic ns just before the publish>;`: the clients derive order and latency from it.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from eventing.bus.limits import BusLimits
from eventing.bus.redis_streams import RedisEventBus


async def job(bus: RedisEventBus, job_id: str, cfg: dict[str, Any], offset: float) -> int:
    await asyncio.sleep(offset)
    await bus.publish_progress(job_id, "answer", "started", progress=10)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i in range(cfg["tokens"]):
        await bus.publish_token(job_id, f"{i}@{time.monotonic_ns()};", node="answer")
        await asyncio.sleep(max(0.0, start + (i + 1) * cfg["interval_s"] - loop.time()))
    await bus.publish_progress(job_id, "answer", "completed", progress=90)
    await bus.publish_progress(job_id, "done", "completed", result={"answer": job_id})
    return int(cfg["tokens"]) + 3


async def main(cfg: dict[str, Any]) -> None:
    pool = BlockingConnectionPool.from_url(cfg["redis_url"], max_connections=64)
    redis = Redis(connection_pool=pool)
    bus = RedisEventBus(redis, prefix=cfg["prefix"], limits=BusLimits(shards=cfg["shards"]))
    rng = random.Random(cfg["seed"])
    started = time.monotonic()
    counts = await asyncio.gather(
        *(job(bus, j, cfg, rng.random() * cfg["interval_s"]) for j in cfg["jobs"])
    )
    elapsed = time.monotonic() - started
    await redis.aclose()
    print(json.dumps({"t": "result", "published": sum(counts), "seconds": elapsed}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
