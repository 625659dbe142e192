"""The page cache on Redis: one string per page with its expiry (`SET ... EX`), read with its
time left in one round trip (GET + TTL pipelined)."""

from __future__ import annotations

from typing import Any

from eventing.redis_clients import REDIS_ERRORS
from functions.kit.errors import UnavailableError


class RedisPageCache:
    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def get(self, key: str) -> tuple[bytes, int] | None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(self._prefix + key)
                pipe.ttl(self._prefix + key)
                value, ttl = await pipe.execute()
        except REDIS_ERRORS as exc:
            raise UnavailableError(f"Redis unavailable: {exc!r}") from exc
        if value is None:
            return None
        return bytes(value), max(1, int(ttl))

    async def put(self, key: str, value: bytes, ttl_s: int) -> None:
        try:
            await self._redis.set(self._prefix + key, value, ex=ttl_s)
        except REDIS_ERRORS as exc:
            raise UnavailableError(f"Redis unavailable: {exc!r}") from exc
