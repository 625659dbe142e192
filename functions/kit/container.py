"""Dependencies by name, built on first use: the composition root's toolbox.

Domains declare their providers (`PROVIDERS` next to `FUNCTIONS`: name -> an async function of
the container, in the domain's `wiring.py`, typed so the checker sees what each builds); a
process builds only what its own handlers ask for, and each provider imports its adapter only
when called. Shared clients (the PostgreSQL pool, Redis) are created once here and closed in
reverse order with everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from functions.kit.invoke import INJECTED_BY_KIT
from functions.kit.settings import Settings

REDIS_MAX_CONNECTIONS = 100  # per process (per node on a cluster); more callers wait their turn

Closer = Callable[[], Awaitable[Any]]
Provider = Callable[["Container"], Awaitable[Any]]  # builds one dependency, once per process


class Container:
    def __init__(
        self,
        settings: Settings,
        values: Mapping[str, Any],
        providers: Mapping[str, Provider] | None = None,
        migrations: Sequence[Path] = (),
    ) -> None:
        self.settings = settings
        self._values: dict[str, Any] = {"settings": settings, "container": self, **values}
        self._providers = dict(providers or {})
        self._migrations = tuple(migrations)
        self._closers: list[Closer] = []
        self._locks: dict[str, asyncio.Lock] = {}

    def provide(self, name: str, value: Any) -> None:
        """Add a value the composition root built itself (the broker, the publisher)."""
        self._values[name] = value

    def on_close(self, closer: Closer) -> None:
        self._closers.append(closer)

    async def close(self) -> None:
        for closer in reversed(self._closers):
            with contextlib.suppress(Exception):
                await closer()
        self._closers.clear()

    def __contains__(self, name: object) -> bool:
        return name in self._values or name in self._providers

    def get_now(self, name: str) -> Any:
        """A value already provided (no provider runs)."""
        return self._values[name]

    async def get(self, name: str) -> Any:
        """The dependency called `name`, from a value or its provider (built once)."""
        if name in self._values:
            return self._values[name]
        if name not in self._providers:
            known = sorted({*self._values, *self._providers})
            raise LookupError(f"no dependency named {name!r} (have {known})")
        async with self._locks.setdefault(name, asyncio.Lock()):
            if name not in self._values:
                self._values[name] = await self._providers[name](self)
        return self._values[name]

    async def kwargs_for(self, target: Callable[..., Any], owner: str) -> dict[str, Any]:
        """Keyword arguments for `target`, resolved by parameter name; fails at start."""
        wanted = [p for p in inspect.signature(target).parameters if p not in INJECTED_BY_KIT]
        missing = [p for p in wanted if p not in self]
        if missing:
            raise LookupError(f"{owner}: no dependency named {missing}")
        return {p: await self.get(p) for p in wanted}

    async def redis(self) -> Any:
        """The process's Redis client (real mode): `build_redis`, closed with the process."""
        if "redis" not in self._values:
            client = build_redis(self.settings)
            self.on_close(client.aclose)
            if self.settings.redis_cluster:
                # The slot map now, not lazily: redis-py's first initialization races when
                # many commands start together on a fresh cluster client.
                await client.initialize()
            self._values["redis"] = client
        return self._values["redis"]

    async def pg_pool(self) -> Any:
        """The process's asyncpg pool (real mode), with every domain's migrations applied."""
        async with self._locks.setdefault("pg_pool", asyncio.Lock()):
            if "pg_pool" not in self._values:
                import asyncpg  # type: ignore[import-untyped]  # noqa: PLC0415

                from functions.kit.migrations import migrate  # noqa: PLC0415

                pool = await asyncpg.create_pool(
                    self.settings.pg_dsn, min_size=1, max_size=self.settings.pg_pool_max
                )
                self.on_close(pool.close)
                await migrate(pool, self._migrations)
                self._values["pg_pool"] = pool
        return self._values["pg_pool"]


def build_redis(settings: Settings) -> Any:
    """The one place a Redis client is made: `RedisCluster` when `ECO2_REDIS_CLUSTER` is set
    (its URL is any node; the client learns the rest), else `Redis` on one server. Both are
    `eventing.redis_clients.RedisClient`; every adapter works with either (ADR 0020)."""
    if settings.redis_cluster:
        from redis.asyncio import RedisCluster  # noqa: PLC0415

        # redis-py's cluster client has no blocking pool: past `max_connections` to one node
        # a command fails (MaxConnectionsError, an unavailable store) instead of waiting.
        return RedisCluster.from_url(settings.redis_url, max_connections=REDIS_MAX_CONNECTIONS)
    from redis.asyncio import BlockingConnectionPool, Redis  # noqa: PLC0415

    # A caller waits for a free connection (up to 10 s) instead of failing at once
    # with MaxConnectionsError, as redis-py's default pool does past 100 connections:
    # a chat worker runs hundreds of streaming runs at a time.
    pool = BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=REDIS_MAX_CONNECTIONS, timeout=10
    )
    return Redis.from_pool(pool)
