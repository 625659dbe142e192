"""Delivery policy: how often and how patiently a trigger retries before dead-lettering."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Backoff(enum.Enum):
    EXPONENTIAL = "exponential"
    LINEAR = "linear"


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """Knative's `delivery` block: retry count, backoff policy and delay, per-attempt timeout.

    `retries` counts re-deliveries after the first attempt, as Knative's `retry` does, so an
    event gets at most `retries + 1` attempts before it is dead-lettered.
    """

    retries: int = 3
    backoff: Backoff = Backoff.EXPONENTIAL
    base_delay_s: float = 1.0
    timeout_s: float = 30.0
    dead_letter: bool = True
    max_delay_s: float = 300.0

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError("retries must be >= 0")
        if self.base_delay_s < 0 or self.timeout_s <= 0:
            raise ValueError("base_delay_s must be >= 0 and timeout_s > 0")

    @property
    def max_attempts(self) -> int:
        return self.retries + 1

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before `attempt` (2 = the first retry), as Knative computes it."""
        n = attempt - 1
        if n < 1:
            return 0.0
        if self.backoff is Backoff.EXPONENTIAL:
            delay = self.base_delay_s * float(2 ** (n - 1))
        else:
            delay = self.base_delay_s * n
        return min(delay, self.max_delay_s)
