"""The bench's own corner of the shared servers: a PostgreSQL database, a RabbitMQ vhost and a
Redis key prefix, created for one run and removed afterwards (as tests/rig.py does per test).

Also the few server facts the report prints (versions) and the RabbitMQ restart of --chaos.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
import asyncpg  # type: ignore[import-untyped]  # no stubs shipped
import httpx
from redis.asyncio import Redis

from tests.rig import purge_redis_prefix


@dataclass(frozen=True)
class Servers:
    """Where the shared servers are: the same ECO2_TEST_* variables as the test rig."""

    pg_dsn: str
    redis_url: str
    amqp_url: str
    rabbit_api: str

    @classmethod
    def from_env(cls) -> Servers:
        env = os.environ.get
        return cls(
            pg_dsn=env(
                "ECO2_TEST_PG_DSN", "postgresql://eco2:eco2@127.0.0.1:5432/eco2?sslmode=disable"
            ),
            redis_url=env("ECO2_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
            amqp_url=env("ECO2_TEST_AMQP_URL", "amqp://eco2:eco2@127.0.0.1:5672/"),
            rabbit_api=env("ECO2_TEST_RABBIT_API", "http://eco2:eco2@127.0.0.1:15672"),
        )


@dataclass(frozen=True)
class Namespace:
    """This run's database, vhost and prefix (the name appears in all three)."""

    name: str
    pg_dsn: str
    amqp_url: str
    redis_url: str
    redis_prefix: str


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{path}"))


def api_client(rabbit_api: str) -> httpx.AsyncClient:
    parts = urlsplit(rabbit_api)
    base = urlunsplit(parts._replace(netloc=f"{parts.hostname}:{parts.port or 15672}"))
    auth = (parts.username or "guest", parts.password or "guest")
    return httpx.AsyncClient(base_url=base, auth=auth, timeout=30)


@contextlib.asynccontextmanager
async def namespace(servers: Servers, bench: str = "scan") -> AsyncIterator[Namespace]:
    """Create the three, yield, and remove them whatever happened."""
    name = f"eco2_bench_{bench}_{uuid.uuid4().hex[:10]}"
    vhost = quote(name, safe="")
    admin = await asyncpg.connect(servers.pg_dsn, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = _with_path(servers.pg_dsn, name)
    user = urlsplit(servers.amqp_url).username or "guest"
    try:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")  # as the rig does
        finally:
            await conn.close()
        async with api_client(servers.rabbit_api) as api:
            (await api.put(f"/api/vhosts/{vhost}")).raise_for_status()
            grant = {"configure": ".*", "write": ".*", "read": ".*"}
            (
                await api.put(f"/api/permissions/{vhost}/{quote(user)}", json=grant)
            ).raise_for_status()
        yield Namespace(
            name=name,
            pg_dsn=dsn,
            amqp_url=_with_path(servers.amqp_url, vhost),
            redis_url=servers.redis_url,
            redis_prefix=f"{name}:",
        )
    finally:
        await _remove(servers, name, vhost)


async def _remove(servers: Servers, name: str, vhost: str) -> None:
    with contextlib.suppress(Exception):
        async with api_client(servers.rabbit_api) as api:
            await api.delete(f"/api/vhosts/{vhost}")
    with contextlib.suppress(Exception):
        redis = Redis.from_url(servers.redis_url)
        try:
            await purge_redis_prefix(redis, f"{name}:")
        finally:
            await redis.aclose()
    with contextlib.suppress(Exception):
        admin = await asyncpg.connect(servers.pg_dsn, timeout=10)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def versions(servers: Servers) -> str:
    """RabbitMQ, Redis and PostgreSQL versions, as the servers report them."""
    found = []
    with contextlib.suppress(Exception):
        async with api_client(servers.rabbit_api) as api:
            overview = (await api.get("/api/overview")).json()
            found.append(
                f"RabbitMQ {overview['rabbitmq_version']} (Erlang {overview['erlang_version']})"
            )
    with contextlib.suppress(Exception):
        redis = Redis.from_url(servers.redis_url)
        try:
            found.append(f"Redis {(await redis.info('server'))['redis_version']}")
        finally:
            await redis.aclose()
    with contextlib.suppress(Exception):
        conn = await asyncpg.connect(servers.pg_dsn, timeout=10)
        try:
            found.append(f"PostgreSQL {await conn.fetchval('SHOW server_version')}")
        finally:
            await conn.close()
    return ", ".join(found)


async def restart_rabbitmq(amqp_url: str, within_s: float = 120.0) -> float:
    """`rabbitmqctl stop_app` + `start_app` (the node stays up; durable queues and persistent
    messages survive), then wait until `amqp_url` takes a channel again; returns the seconds."""
    ctl = os.environ.get(
        "ECO2_TEST_RABBITMQCTL", shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    )
    started = time.monotonic()
    try:
        await _ctl(ctl, "stop_app")
    finally:
        await _ctl(ctl, "start_app")
    while True:
        try:
            conn = await aio_pika.connect(amqp_url, timeout=5)
            async with conn:
                await conn.channel()
            return time.monotonic() - started
        except (TimeoutError, OSError, aio_pika.exceptions.AMQPError):
            if time.monotonic() - started > within_s:
                raise RuntimeError(f"RabbitMQ not back within {within_s}s") from None
            await asyncio.sleep(0.5)


async def _ctl(ctl: str, action: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        *ctl.split(), action, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {action} failed: {out.decode(errors='replace')}")
