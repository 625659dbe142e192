"""The per-provider circuit breaker, on a fake clock."""

from __future__ import annotations

import pytest

from functions.kit.llm.breaker import CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def opened(clock: FakeClock, failures: int = 3, open_s: float = 60.0) -> CircuitBreaker:
    breaker = CircuitBreaker(failures, open_s, clock)
    for _ in range(failures):
        assert breaker.allow()
        breaker.failure()
    return breaker


def test_failures_below_the_threshold_keep_it_closed_and_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(3, 60.0, FakeClock())
    breaker.failure()
    breaker.failure()
    breaker.success()
    breaker.failure()
    breaker.failure()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_consecutive_failures_open_it_for_the_open_period() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    assert breaker.state == "open"
    assert not breaker.allow()
    clock.now = 59.9
    assert not breaker.allow()


def test_half_open_lets_exactly_one_probe_through() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    clock.now = 60.0
    states = [breaker.state]
    assert breaker.allow()
    assert not breaker.allow()  # the probe is in flight
    breaker.success()
    states.append(breaker.state)
    assert states == ["half_open", "closed"]
    assert breaker.allow() and breaker.allow()


def test_a_failed_probe_reopens_for_a_full_period() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    clock.now = 60.0
    assert breaker.allow()
    breaker.failure()
    assert breaker.state == "open"
    clock.now = 119.0
    assert not breaker.allow()
    clock.now = 120.0
    assert breaker.allow()


def test_a_probe_that_never_reports_is_given_up_after_the_open_period() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    clock.now = 60.0
    assert breaker.allow()  # its caller is cancelled: neither success nor failure comes
    clock.now = 119.0
    assert not breaker.allow()
    clock.now = 120.0
    assert breaker.allow()


def test_the_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CircuitBreaker(0)
