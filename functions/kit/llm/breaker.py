"""A per-provider circuit breaker: stop calling a provider that keeps failing.

Closed: calls go through; `failures` consecutive failures open it. Open: calls are refused
for `open_s`, so a dead provider costs nothing and the client falls back at once. Half-open:
one probe goes through; its success closes the circuit, its failure opens it again. A probe
that never reports (its caller was cancelled) is given up after `open_s`, so a lost probe
cannot keep the circuit shut for good.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    def __init__(
        self,
        failures: int = 5,
        open_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1:
            raise ValueError("failures must be at least 1")
        self._threshold = failures
        self._open_s = open_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_at: float | None = None

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at < self._open_s:
            return "open"
        return "half_open"

    def allow(self) -> bool:
        """Whether a call may go through now (in half-open state: the one probe)."""
        state = self.state
        if state == "closed":
            return True
        if state == "open":
            return False
        now = self._clock()
        if self._probe_at is not None and now - self._probe_at < self._open_s:
            return False  # a probe is already in flight
        self._probe_at = now
        return True

    def success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probe_at = None

    def failure(self) -> None:
        self._failures += 1
        if self._opened_at is not None or self._failures >= self._threshold:
            self._opened_at = self._clock()  # a failed probe re-opens for a full period
            self._probe_at = None
