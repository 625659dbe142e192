"""Ports of the eval domain, as protocols."""

from __future__ import annotations

from typing import Protocol


class GradingBudget(Protocol):
    """How many answers the online grader may grade today (UTC), shared by every replica.

    `take` is idempotent per answer: a redelivered event for an answer already counted today
    is allowed again without spending more, so retries never eat the budget twice.
    """

    async def take(self, answer_id: str, daily: int) -> bool:
        """Count `answer_id` against today's `daily` limit; False once the day is spent."""
        ...
