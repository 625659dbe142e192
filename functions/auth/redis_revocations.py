"""Revocations in Redis, exactly as docs/adr/0005 lays them out for the Go ext-authz:
sorted set `{prefix}auth:revoked` (member `jti:<id>` / `sid:<id>`, score = expiry) and the
Pub/Sub channel `{prefix}auth:revocations` carrying `{"kind", "value", "exp"}`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from redis.exceptions import RedisError

from eventing.redis_clients import REDIS_ERRORS, is_cluster
from functions.auth.model import AuthStoreUnavailableError, Revocation

SUBSCRIBE_TIMEOUT_S = 5.0


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisRevocationStore:
    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self.key = f"{prefix}auth:revoked"
        self.channel = f"{prefix}auth:revocations"

    async def revoke(self, entries: Sequence[Revocation]) -> None:
        """Record and announce, in one transaction on one server. On Redis Cluster a PUBLISH
        cannot join a transaction: it follows it, and a failed one fails the call, which the
        caller retries (ZADD GT makes that harmless), so no revocation goes unannounced."""
        if not entries:
            return
        messages = [json.dumps(entry.to_dict()) for entry in entries]
        cluster = is_cluster(self._redis)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                for entry in entries:
                    pipe.zadd(self.key, {entry.member: entry.exp}, gt=True)  # keep the longest
                pipe.zremrangebyscore(self.key, "-inf", f"({int(time.time())}")  # forget expired
                for message in [] if cluster else messages:
                    pipe.publish(self.channel, message)
                await pipe.execute()
            for message in messages if cluster else []:
                await self._redis.publish(self.channel, message)
        except REDIS_ERRORS as exc:
            raise AuthStoreUnavailableError(f"revocation store unavailable: {exc}") from exc

    async def is_revoked(self, jti: str, sid: str, now: float) -> bool:
        try:
            scores = await self._redis.zmscore(self.key, [f"jti:{jti}", f"sid:{sid}"])
        except REDIS_ERRORS as exc:
            raise AuthStoreUnavailableError(f"revocation store unavailable: {exc}") from exc
        return any(score is not None and score >= now for score in scores)

    async def snapshot(self, now: float) -> list[Revocation]:
        try:
            rows = await self._redis.zrangebyscore(self.key, now, "+inf", withscores=True)
        except REDIS_ERRORS as exc:
            raise AuthStoreUnavailableError(f"revocation store unavailable: {exc}") from exc
        return [Revocation.from_member(_text(member), score) for member, score in rows]

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Revocation]]:
        """Classic SUBSCRIBE also on Redis Cluster (every node relays every PUBLISH): few
        messages, and the Go ext-authz subscribes to the same channel (ADR 0020)."""
        pubsub = self._redis.pubsub()
        try:
            if is_cluster(self._redis):
                await self._redis.initialize()  # the slot map routes the SUBSCRIBE
            await pubsub.subscribe(self.channel)
            await asyncio.wait_for(self._confirmed(pubsub), SUBSCRIBE_TIMEOUT_S)
        except REDIS_ERRORS as exc:  # TimeoutError (wait_for) is an OSError
            await pubsub.aclose()
            raise AuthStoreUnavailableError(f"revocation feed unavailable: {exc!r}") from exc
        try:
            yield self._feed(pubsub)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.unsubscribe(self.channel)
            await pubsub.aclose()

    async def _confirmed(self, pubsub: Any) -> None:
        """Wait for the server's subscribe confirmation: from then on nothing is missed."""
        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message is not None and message["type"] == "subscribe":
                return

    async def _feed(self, pubsub: Any) -> AsyncIterator[Revocation]:
        async for message in pubsub.listen():
            if message["type"] != "message":
                continue
            raw = json.loads(_text(message["data"]))
            yield Revocation(raw["kind"], str(raw["value"]), int(raw["exp"]))
