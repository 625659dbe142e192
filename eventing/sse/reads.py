"""The gateway's reads from the bus: bounded, and never abandoned halfway.

Every subscription costs a few reads (owner, history, maybe state and snapshot). When a
replica drains, thousands of clients come back within seconds. Two things would hurt then:

- unbounded, each concurrent read takes its own connection from redis-py's pool (which grows
  without limit) and can reach Redis's `maxclients`: a semaphore keeps `limit` reads in flight;
- a client that leaves mid-read cancels its session, and redis-py drops a connection whose
  command was cancelled (its reply is unread): the pool then reconnects again and again, and
  under load those connects time out. So a read runs to completion in its own task (shielded);
  a departed client simply never looks at the result.

Idle streams re-read their history now and then (session.py); those polls have a lane of their
own (`poll_since`, `limit // 4` slots), so with ten thousand quiet clients they never queue in
front of a new subscription's reads.

Owner lookups that found an owner are kept for `OWNER_TTL_S`: a job's owner never changes
(the first registration wins), and a client reconnecting within the minute then costs one
read instead of two. Misses are never kept (the job may be registered a moment later).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Protocol, TypeVar

from eventing.bus.port import EventBus, History, JobState, TokenSnapshot

T = TypeVar("T")
OWNER_TTL_S = 60.0
OWNER_CACHE_SIZE = 100_000


class StreamReader(Protocol):
    """What a session reads from the bus (the live feed belongs to the hub)."""

    async def owner_of(self, job_id: str) -> str | None: ...

    async def read_since(self, job_id: str, after_seq: int, limit: int = 1000) -> History: ...

    async def latest_state(self, job_id: str) -> JobState | None: ...

    async def token_snapshot(self, job_id: str) -> TokenSnapshot | None: ...

    async def poll_since(self, job_id: str, after_seq: int, limit: int = 1000) -> History:
        """`read_since` for a background check that may wait its turn."""
        ...


def _consume(task: asyncio.Task[object]) -> None:
    """An abandoned read's failure is nobody's business; don't let asyncio log it."""
    if not task.cancelled():
        task.exception()


class BoundedReads:
    def __init__(self, bus: EventBus, limit: int) -> None:
        self._bus = bus
        self._slots = asyncio.Semaphore(limit)
        self._poll_slots = asyncio.Semaphore(max(1, limit // 4))
        self._owners: dict[str, tuple[str, float]] = {}  # job -> (owner, kept until)

    async def _read(self, read: Awaitable[T], slots: asyncio.Semaphore | None = None) -> T:
        async def bounded() -> T:
            async with slots or self._slots:
                return await read

        task = asyncio.ensure_future(bounded())
        task.add_done_callback(_consume)
        return await asyncio.shield(task)

    async def owner_of(self, job_id: str) -> str | None:
        now = time.monotonic()
        kept = self._owners.get(job_id)
        if kept is not None and kept[1] > now:
            return kept[0]
        owner = await self._read(self._bus.owner_of(job_id))
        if owner is not None:
            if len(self._owners) >= OWNER_CACHE_SIZE:
                del self._owners[next(iter(self._owners))]  # the oldest entry
            self._owners[job_id] = (owner, now + OWNER_TTL_S)
        return owner

    async def read_since(self, job_id: str, after_seq: int, limit: int = 1000) -> History:
        return await self._read(self._bus.read_since(job_id, after_seq, limit))

    async def poll_since(self, job_id: str, after_seq: int, limit: int = 1000) -> History:
        return await self._read(self._bus.read_since(job_id, after_seq, limit), self._poll_slots)

    async def latest_state(self, job_id: str) -> JobState | None:
        return await self._read(self._bus.latest_state(job_id))

    async def token_snapshot(self, job_id: str) -> TokenSnapshot | None:
        return await self._read(self._bus.token_snapshot(job_id))
