"""The online grader's daily budget: in process memory (embedded), or in Redis where every
replica sees it (one set of answer ids per UTC day, expiring after it). Idempotent per
answer id, so a redelivery never counts twice (see `ports.GradingBudget`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError

from functions.kit.errors import UnavailableError

Clock = Callable[[], float]  # seconds since the epoch
DAY_TTL_S = 2 * 86_400  # a day's set outlives the day, then goes


def day_of(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y%m%d")


class MemoryBudget:
    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._days: dict[str, set[str]] = {}

    async def take(self, answer_id: str, daily: int) -> bool:
        day = day_of(self._clock())
        self._days = {day: self._days.get(day, set())}  # older days are gone
        taken = self._days[day]
        if answer_id in taken:
            return True
        if len(taken) >= daily:
            return False
        taken.add(answer_id)
        return True


# KEYS: the day's set; ARGV: answer id, daily limit, ttl. 1 = allowed, 0 = the day is spent.
_TAKE = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1]); redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""


class RedisBudget:
    def __init__(self, redis: Any, prefix: str, clock: Clock = time.time) -> None:
        self._redis = redis
        self._prefix = prefix
        self._clock = clock
        self._script = redis.register_script(_TAKE)

    async def take(self, answer_id: str, daily: int) -> bool:
        key = f"{self._prefix}eval:graded:{day_of(self._clock())}"
        try:
            allowed = await self._script(keys=[key], args=[answer_id, daily, DAY_TTL_S])
        except (RedisError, OSError) as exc:
            raise UnavailableError(f"Redis unavailable: {exc!r}") from exc
        return bool(allowed)
