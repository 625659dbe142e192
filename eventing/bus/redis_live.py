"""The Redis bus's live feed: the router's Pub/Sub channels, one subscription per process.

On one server the feed SUBSCRIBEs to every shard channel on one connection. On Redis Cluster
classic Pub/Sub would work too, but every PUBLISH is then broadcast to every node over the
cluster bus, so token traffic would grow with the cluster; the feed uses sharded Pub/Sub
instead (SSUBSCRIBE, Redis >= 7.0): each shard channel is served by the primary that owns its
slot, the one its shard stream and its router already talk to (ADR 0020).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import Any, Protocol

from redis.asyncio import Redis, RedisCluster
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterPubSub

from eventing.bus.entries import event_from_fields
from eventing.bus.port import StreamEvent
from eventing.redis_clients import REDIS_ERRORS, RedisClient

log = logging.getLogger(__name__)
WAIT_S = 30.0  # one sharded read's wait; an idle channel just reads again


class Subscription(Protocol):
    def payloads(self) -> AsyncIterator[Any]:
        """The data of every message, in the order each channel delivers them."""

    async def aclose(self) -> None: ...


class PlainSubscription:
    """SUBSCRIBE to every shard channel on one connection (one Redis server)."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    @classmethod
    async def open(cls, redis: Redis, channels: Sequence[str]) -> PlainSubscription:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(*channels)
        except BaseException:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise
        return cls(pubsub)

    async def payloads(self) -> AsyncIterator[Any]:
        async for message in self._pubsub.listen():
            if message.get("type") == "message":
                yield message["data"]

    async def aclose(self) -> None:
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]


class ShardedSubscription:
    """SSUBSCRIBE each shard channel at the primary owning its slot (Redis Cluster).

    One ClusterPubSub per channel, each read by its own task: a ClusterPubSub holding several
    nodes can only poll them in turn, which would delay one shard's events behind another's
    wait. The readers' messages (or their first error) meet in one queue."""

    def __init__(self, pubsubs: list[ClusterPubSub]) -> None:
        self._pubsubs = pubsubs
        self._queue: asyncio.Queue[tuple[Any, BaseException | None]] = asyncio.Queue()
        self._readers = [asyncio.create_task(self._read(p)) for p in pubsubs]

    @classmethod
    async def open(cls, redis: RedisCluster, channels: Sequence[str]) -> ShardedSubscription:
        pubsubs: list[ClusterPubSub] = []
        await redis.initialize()  # the slot map, which routes each SSUBSCRIBE (idempotent)
        try:
            for channel in channels:
                pubsubs.append(redis.pubsub(ignore_subscribe_messages=True))
                await pubsubs[-1].ssubscribe(channel)
        except BaseException:
            for pubsub in pubsubs:
                await pubsub.aclose()
            raise
        return cls(pubsubs)

    async def _read(self, pubsub: ClusterPubSub) -> None:
        try:
            while True:
                message = await pubsub.get_sharded_message(
                    ignore_subscribe_messages=True, timeout=WAIT_S
                )
                if message is not None and message.get("type") == "smessage":
                    self._queue.put_nowait((message["data"], None))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # handed to the consumer, which resubscribes
            self._queue.put_nowait((None, exc))

    async def payloads(self) -> AsyncIterator[Any]:
        while True:
            data, error = await self._queue.get()
            if error is not None:
                raise error
            yield data

    async def aclose(self) -> None:
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        for pubsub in self._pubsubs:
            await pubsub.aclose()


async def subscribe(redis: RedisClient, channels: Sequence[str]) -> Subscription:
    if isinstance(redis, RedisCluster):
        return await ShardedSubscription.open(redis, channels)
    return await PlainSubscription.open(redis, channels)


async def follow(
    redis: RedisClient,
    channels: Sequence[str],
    first: asyncio.Task[Subscription] | None,
    reconnect_delay_s: float,
) -> AsyncGenerator[StreamEvent, None]:
    """Events from the channels, resubscribing after a lost connection (events published
    meanwhile are only in the history: readers fill such gaps by seq, see `RedisEventBus`)."""
    while True:
        subscription: Subscription | None = None
        try:
            subscription = await first if first is not None else await subscribe(redis, channels)
            first = None
            async for data in subscription.payloads():
                fields = json.loads(data)
                yield event_from_fields(fields.pop("job"), fields)
        except REDIS_ERRORS as exc:  # lost connection, or a cluster mid-failover
            first = None
            log.warning("event bus live feed lost its connection (%r); resubscribing", exc)
            await asyncio.sleep(reconnect_delay_s)
        finally:
            if subscription is not None:
                await subscription.aclose()


class RedisLiveFeed:
    """`live()`'s iterator: subscribes when created (in a running loop), closes on `aclose()`."""

    def __init__(self, redis: RedisClient, channels: Sequence[str], reconnect_delay_s: float):
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._first: asyncio.Task[Subscription] | None = None
        else:
            self._first = loop.create_task(subscribe(redis, channels))
        self._events = follow(redis, channels, self._first, reconnect_delay_s)
        self._started = False

    def __aiter__(self) -> RedisLiveFeed:
        return self

    async def __anext__(self) -> StreamEvent:
        self._started = True
        return await self._events.__anext__()

    async def aclose(self) -> None:
        first, self._first = self._first, None
        if not self._started and first is not None:  # never iterated: its connection is ours
            first.cancel()
            with contextlib.suppress(BaseException):  # cancelled, or the subscription failed
                await (await first).aclose()
        await self._events.aclose()
