"""Login state in Redis: `SET … EXAT` to keep it, `GETDEL` to take it exactly once."""

from __future__ import annotations

import math
import time
from typing import Any

from redis.exceptions import RedisError

from functions.auth.model import AuthStoreUnavailableError, LoginState


class RedisStateStore:
    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}auth:state:"

    async def put(self, login: LoginState) -> None:
        try:
            await self._redis.set(
                self._prefix + login.state, login.to_json(), exat=math.ceil(login.expires_at)
            )
        except (RedisError, OSError) as exc:
            raise AuthStoreUnavailableError(f"state store unavailable: {exc}") from exc

    async def take(self, state: str) -> LoginState | None:
        try:
            raw = await self._redis.getdel(self._prefix + state)
        except (RedisError, OSError) as exc:
            raise AuthStoreUnavailableError(f"state store unavailable: {exc}") from exc
        if raw is None:
            return None
        login = LoginState.from_json(raw)
        return login if login.expires_at > time.time() else None  # EXAT has 1 s granularity
