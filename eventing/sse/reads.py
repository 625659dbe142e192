"""The gateway's reads from the bus, bounded: a reconnect storm queues here, not in Redis.

Every subscription costs a few reads (owner, history, maybe state and snapshot). When a
replica drains, thousands of clients come back within seconds; unbounded, each concurrent read
would take its own connection from redis-py's pool (it grows without limit) and could reach
Redis's `maxclients`. A semaphore keeps the gateway to `limit` reads in flight.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from eventing.bus.port import EventBus, History, JobState, TokenSnapshot


class StreamReader(Protocol):
    """What a session reads from the bus (the live feed belongs to the hub)."""

    async def owner_of(self, job_id: str) -> str | None: ...

    async def read_since(self, job_id: str, after_seq: int, limit: int = 1000) -> History: ...

    async def latest_state(self, job_id: str) -> JobState | None: ...

    async def token_snapshot(self, job_id: str) -> TokenSnapshot | None: ...


class BoundedReads:
    def __init__(self, bus: EventBus, limit: int) -> None:
        self._bus = bus
        self._slots = asyncio.Semaphore(limit)

    async def owner_of(self, job_id: str) -> str | None:
        async with self._slots:
            return await self._bus.owner_of(job_id)

    async def read_since(self, job_id: str, after_seq: int, limit: int = 1000) -> History:
        async with self._slots:
            return await self._bus.read_since(job_id, after_seq, limit)

    async def latest_state(self, job_id: str) -> JobState | None:
        async with self._slots:
            return await self._bus.latest_state(job_id)

    async def token_snapshot(self, job_id: str) -> TokenSnapshot | None:
        async with self._slots:
            return await self._bus.token_snapshot(job_id)
