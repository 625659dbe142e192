"""A consumer process for the load bench: triggers A and B on a RabbitMQ adapter.

Usage: python -m tests.load.bench_worker AMQP_URL REDIS_URL PREFIX CONCURRENCY
stdout: `READY`, then `C <received>` progress lines (at most every 5 ms), and on the stdin
command `REPORT <t0> <t1>` one `R <json>` line with the count and latencies in that window.
`QUIT` (or EOF on stdin) closes the broker and exits.
"""

from __future__ import annotations

import asyncio
import json
import sys

from redis.asyncio import Redis

from eventing.broker.rabbitmq import RabbitMQBroker
from eventing.redis_idempotency import RedisProcessedStore
from tests.load.mesh import Receipts, chain

PROGRESS_S = 0.005


async def _progress(receipts: Receipts) -> None:
    last = -1
    while True:
        if receipts.count != last:
            last = receipts.count
            sys.stdout.write(f"C {last}\n")
            sys.stdout.flush()
        await asyncio.sleep(PROGRESS_S)


async def _commands() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def main(amqp_url: str, redis_url: str, prefix: str, concurrency: int) -> None:
    redis = Redis.from_url(redis_url)
    receipts = Receipts()
    broker = RabbitMQBroker(amqp_url, broker="bench", store=RedisProcessedStore(redis, prefix))
    for sub in chain(receipts, concurrency):
        broker.subscribe(sub)
    await broker.start()
    print("READY", flush=True)
    progress = asyncio.ensure_future(_progress(receipts))
    commands = await _commands()
    try:
        while True:
            line = (await commands.readline()).decode().split()
            if not line or line[0] == "QUIT":
                break
            if line[0] == "REPORT":
                count, latencies = receipts.window(int(line[1]), int(line[2]))
                total = receipts.count
                report = {"count": count, "total": total, "latencies": latencies}
                sys.stdout.write("R " + json.dumps(report) + "\n")
                sys.stdout.flush()
    finally:
        progress.cancel()
        await broker.close()
        await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
