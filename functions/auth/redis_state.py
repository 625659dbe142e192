"""Login state in Redis: `SET … EXAT` to keep it, `GETDEL` to take it exactly once.

Every key expires with its login; how many a client can create is bounded by `admit` (a
per-client start counter), so a flood of starts cannot grow the keyspace without bound.
"""

from __future__ import annotations

import math
import time
from typing import Any

from eventing.redis_clients import REDIS_ERRORS
from functions.auth.model import AuthStoreUnavailableError, LoginState


class RedisStateStore:
    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}auth:state:"
        self._rate_prefix = f"{prefix}auth:login-rate:"

    async def put(self, login: LoginState) -> None:
        try:
            await self._redis.set(
                self._prefix + login.state, login.to_json(), exat=math.ceil(login.expires_at)
            )
        except REDIS_ERRORS as exc:
            raise AuthStoreUnavailableError(f"state store unavailable: {exc}") from exc

    async def admit(self, client: str, limit: int, window_s: int) -> float:
        """A fixed window per client: INCR, and the key's expiry set by the first start."""
        key = f"{self._rate_prefix}{client}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, window_s, nx=True)
                pipe.pttl(key)
                starts, _, ttl_ms = await pipe.execute()
        except REDIS_ERRORS as exc:
            raise AuthStoreUnavailableError(f"state store unavailable: {exc}") from exc
        return 0.0 if int(starts) <= limit else max(int(ttl_ms), 1) / 1000

    async def take(self, state: str) -> LoginState | None:
        try:
            raw = await self._redis.getdel(self._prefix + state)
        except REDIS_ERRORS as exc:
            raise AuthStoreUnavailableError(f"state store unavailable: {exc}") from exc
        if raw is None:
            return None
        login = LoginState.from_json(raw)
        return login if login.expires_at > time.time() else None  # EXAT has 1 s granularity
