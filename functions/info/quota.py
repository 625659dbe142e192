"""Per-source request budgets: a daily quota (UTC day) and a per-minute rate limit.

Fixed windows, counted where every ingest replica sees them: Redis when deployed (one
`INCR` per window, expiring with it), process memory embedded. A refused request is not
counted, so a spent minute does not eat into the day.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from eventing.redis_clients import REDIS_ERRORS
from functions.kit.errors import UnavailableError

Clock = Callable[[], float]  # seconds since the epoch


def _windows(now: float) -> tuple[str, str]:
    day = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d")
    return f"d{day}", f"m{int(now // 60)}"


class MemoryQuota:
    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._counts: dict[tuple[str, str], int] = {}

    async def take(self, source: str, daily: int, per_minute: int) -> bool:
        day, minute = _windows(self._clock())
        used_day = self._counts.get((source, day), 0)
        used_minute = self._counts.get((source, minute), 0)
        if used_day >= daily or used_minute >= per_minute:
            return False
        self._counts = {k: v for k, v in self._counts.items() if k[1] in (day, minute)}
        self._counts[(source, day)] = used_day + 1
        self._counts[(source, minute)] = used_minute + 1
        return True


# Both windows in one step: count only if neither is full (KEYS: day, minute; ARGV: limits).
_TAKE = """
local day = tonumber(redis.call('GET', KEYS[1]) or '0')
local minute = tonumber(redis.call('GET', KEYS[2]) or '0')
if day >= tonumber(ARGV[1]) or minute >= tonumber(ARGV[2]) then return 0 end
redis.call('INCR', KEYS[1]); redis.call('EXPIRE', KEYS[1], 90000)
redis.call('INCR', KEYS[2]); redis.call('EXPIRE', KEYS[2], 120)
return 1
"""


class RedisQuota:
    def __init__(self, redis: Any, prefix: str, clock: Clock = time.time) -> None:
        self._redis = redis
        self._prefix = prefix
        self._clock = clock
        self._script = redis.register_script(_TAKE)

    async def take(self, source: str, daily: int, per_minute: int) -> bool:
        day, minute = _windows(self._clock())
        # Both keys in one hash slot, so a Redis Cluster can run the script.
        slot = f"{self._prefix}{{{source}}}"
        keys = [f"{slot}:{day}", f"{slot}:{minute}"]
        try:
            taken = await self._script(keys=keys, args=[daily, per_minute])
        except REDIS_ERRORS as exc:
            raise UnavailableError(f"Redis unavailable: {exc!r}") from exc
        return bool(taken)
