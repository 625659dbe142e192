"""The online grader's daily budget, in memory and on Redis: the day's limit, idempotent
per answer (a redelivery is allowed again without spending), a new UTC day starts afresh."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from functions.eval.budget import MemoryBudget, RedisBudget
from functions.eval.ports import GradingBudget
from tests.rig import RedisNamespace

START = datetime(2026, 12, 3, 23, 59, 0, tzinfo=UTC).timestamp()
BudgetAt = Callable[[Callable[[], float]], GradingBudget]


@pytest.fixture
async def memory_budget() -> BudgetAt:
    return MemoryBudget


@pytest.fixture
async def redis_budget(redis_url_and_prefix: RedisNamespace) -> AsyncIterator[BudgetAt]:
    url, prefix = redis_url_and_prefix
    client = aioredis.Redis.from_url(url)
    try:
        yield lambda clock: RedisBudget(client, prefix, clock)
    finally:
        await client.aclose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
def budget_at(request: pytest.FixtureRequest) -> BudgetAt:
    found: BudgetAt = request.getfixturevalue(f"{request.param}_budget")
    return found


async def test_the_day_allows_its_limit_then_refuses(budget_at: BudgetAt) -> None:
    budget = budget_at(lambda: START)
    assert [await budget.take(f"job-{n}", 3) for n in range(5)] == [True] * 3 + [False] * 2


async def test_a_redelivered_answer_is_allowed_again_without_spending(budget_at: BudgetAt) -> None:
    budget = budget_at(lambda: START)
    assert await budget.take("job-1", 2)
    assert await budget.take("job-1", 2)  # the same answer, redelivered
    assert await budget.take("job-2", 2)
    assert await budget.take("job-1", 2)  # still allowed: it was counted today
    assert not await budget.take("job-3", 2)


async def test_a_new_utc_day_has_a_new_budget(budget_at: BudgetAt) -> None:
    now = [START]
    budget = budget_at(lambda: now[0])
    assert await budget.take("job-1", 1)
    assert not await budget.take("job-2", 1)
    now[0] += 120  # past midnight UTC
    assert await budget.take("job-2", 1)


async def test_a_zero_budget_grades_nothing(budget_at: BudgetAt) -> None:
    assert not await budget_at(lambda: START).take("job-1", 0)
