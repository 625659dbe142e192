"""A consumer in its own process, so a test can SIGKILL it mid-delivery.

Usage: python -m tests.support.consumer_proc AMQP_URL REDIS_URL PREFIX
The first delivery of each event hangs (after saying HANGING) so the test can kill the process
before it acks; any later delivery records its effect with INCR.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from cloudevents.http import CloudEvent
from redis.asyncio import Redis

from eventing.broker.policy import DeliveryPolicy
from eventing.broker.port import Subscription
from eventing.broker.rabbitmq import RabbitMQBroker
from eventing.filters import exact
from eventing.redis_idempotency import RedisProcessedStore
from tests.support.events import ORDER


class HangOnce:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
        if await self._redis.set(f"{self._prefix}hung:{event['id']}", 1, nx=True):
            print("HANGING", event["id"], flush=True)
            await asyncio.sleep(3600)
        await self._redis.incr(f"{self._prefix}effects:{event['id']}")
        print("DONE", event["id"], flush=True)
        return ()


async def main(amqp_url: str, redis_url: str, prefix: str) -> None:
    redis = Redis.from_url(redis_url)
    store = RedisProcessedStore(redis, prefix=f"{prefix}p:")
    broker = RabbitMQBroker(amqp_url, store=store, lease_s=3.0)
    broker.subscribe(
        Subscription(
            name="worker",
            subscriber=HangOnce(redis, prefix),
            filters=(exact("type", ORDER),),
            delivery=DeliveryPolicy(retries=3, timeout_s=3600),
        )
    )
    await broker.start()
    print("READY", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
