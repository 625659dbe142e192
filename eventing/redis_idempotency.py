"""Processed-event store on Redis: SET NX with a lease, then a long-lived `done` mark."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from eventing.errors import TransientError
from eventing.idempotency import DONE_TTL_S, Claim

_DONE = "done"  # a done mark is "done" followed by the kept result, if any

# Claim atomically: a live `done` or `running` entry wins; otherwise take the lease.
_CLAIM = """
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], 'running', 'PX', ARGV[1])
return 'claimed'
"""
# Renew only a running lease; a `done` mark must keep its own TTL.
_RENEW = """
if redis.call('GET', KEYS[1]) == 'running' then return redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 0
"""
# Release only our own lease; never erase a `done` mark.
_RELEASE = """
if redis.call('GET', KEYS[1]) == 'running' then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisProcessedStore:
    def __init__(self, redis: Redis, prefix: str = "eco2:processed:", done_ttl_s: int = DONE_TTL_S):
        self._redis = redis
        self._prefix = prefix
        self._done_ttl_s = done_ttl_s
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE)
        self._renew = redis.register_script(_RENEW)

    async def claim(self, key: str, lease_s: float) -> Claim:
        try:
            result = await self._claim(keys=[self._prefix + key], args=[int(lease_s * 1000)])
        except RedisError as exc:
            raise TransientError(f"processed-event store unavailable: {exc}") from exc
        value = result.decode() if isinstance(result, bytes) else str(result)
        if value == "claimed":
            return Claim.CLAIMED
        return Claim.DONE if value.startswith(_DONE) else Claim.BUSY

    async def complete(self, key: str, result: str = "") -> None:
        try:
            await self._redis.set(self._prefix + key, _DONE + result, ex=self._done_ttl_s)
        except RedisError as exc:
            raise TransientError(f"processed-event store unavailable: {exc}") from exc

    async def result(self, key: str) -> str | None:
        try:
            raw = await self._redis.get(self._prefix + key)
        except RedisError as exc:
            raise TransientError(f"processed-event store unavailable: {exc}") from exc
        value = raw.decode() if isinstance(raw, bytes) else raw
        if not isinstance(value, str) or not value.startswith(_DONE):
            return None
        return value[len(_DONE) :]

    async def renew(self, key: str, lease_s: float) -> None:
        try:
            await self._renew(keys=[self._prefix + key], args=[int(lease_s * 1000)])
        except RedisError as exc:
            raise TransientError(f"processed-event store unavailable: {exc}") from exc

    async def release(self, key: str) -> None:
        try:
            await self._release(keys=[self._prefix + key])
        except RedisError as exc:
            raise TransientError(f"processed-event store unavailable: {exc}") from exc
