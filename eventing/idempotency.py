"""Processed-event store: a handler's effects happen once per (trigger, source, id).

A delivery first *claims* its key with a lease, runs, publishes its replies, then marks the key
*done*; a failure releases the claim so a retry can run. See docs/adr/0003-idempotency.md for
the failure window this leaves and why deterministic reply ids close most of it.

A claim belongs to its holder (an id per delivery attempt): only the holder renews or releases
it, so a holder whose lease lapsed learns it lost the claim (`renew` says False) and can stop,
and its late release never frees the next holder's claim.
"""

from __future__ import annotations

import enum
import time
from typing import Protocol

DONE_TTL_S = 7 * 24 * 3600  # longer than any broker redelivery or dead-letter replay window


class Claim(enum.Enum):
    CLAIMED = "claimed"  # this delivery owns the key: run the handler
    DONE = "done"  # already processed: acknowledge without running
    BUSY = "busy"  # another delivery is running it now: retry later


def event_key(trigger: str, source: str, event_id: str) -> str:
    return f"{trigger}\x1f{source}\x1f{event_id}"


def running(holder: str) -> str:
    """A running claim's value: whose it is."""
    return f"running:{holder}"


class ProcessedStore(Protocol):
    async def claim(self, key: str, lease_s: float, holder: str) -> Claim: ...

    async def complete(self, key: str, result: str = "") -> None:
        """Mark done, keeping an optional result (a hosted function's reply) for duplicates."""

    async def result(self, key: str) -> str | None:
        """The result kept by `complete`, or None when the key is not done."""

    async def renew(self, key: str, holder: str, lease_s: float) -> bool:
        """Extend `holder`'s running claim: its handler is alive, so nobody else may take it
        over. False when the claim is not `holder`'s any more (it lapsed; maybe re-claimed)."""

    async def release(self, key: str, holder: str) -> None:
        """Free `holder`'s running claim (never a done mark, never another holder's)."""


class MemoryProcessedStore:
    """The embedded default: same semantics as Redis, lost when the process ends."""

    def __init__(self, done_ttl_s: float = DONE_TTL_S) -> None:
        self._entries: dict[str, tuple[str, float]] = {}  # key -> (state, expires_at)
        self._results: dict[str, str] = {}
        self._done_ttl_s = done_ttl_s

    async def claim(self, key: str, lease_s: float, holder: str) -> Claim:
        now = time.monotonic()
        state = self._entries.get(key)
        if state is not None and state[1] > now:
            return Claim.DONE if state[0] == "done" else Claim.BUSY
        self._entries[key] = (running(holder), now + lease_s)
        return Claim.CLAIMED

    async def complete(self, key: str, result: str = "") -> None:
        self._entries[key] = ("done", time.monotonic() + self._done_ttl_s)
        if result:
            self._results[key] = result
        if len(self._entries) > 100_000:
            self._evict()

    async def result(self, key: str) -> str | None:
        state = self._entries.get(key)
        if state is None or state[0] != "done" or state[1] <= time.monotonic():
            return None
        return self._results.get(key, "")

    async def renew(self, key: str, holder: str, lease_s: float) -> bool:
        if not self._holds(key, holder):
            return False
        self._entries[key] = (running(holder), time.monotonic() + lease_s)
        return True

    async def release(self, key: str, holder: str) -> None:
        if self._holds(key, holder):
            del self._entries[key]

    def _holds(self, key: str, holder: str) -> bool:
        state = self._entries.get(key)
        return state is not None and state[0] == running(holder) and state[1] > time.monotonic()

    def _evict(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_, until) in self._entries.items() if until <= now]:
            del self._entries[key]
            self._results.pop(key, None)
