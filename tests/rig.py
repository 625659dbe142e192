"""Pytest plugin: per-test isolation on the real PostgreSQL, Redis and RabbitMQ servers.

Load it from tests/conftest.py with ``pytest_plugins = ["tests.rig"]`` and start the
servers with ``scripts/services up``. Each test gets its own PostgreSQL database, Redis key
prefix (on the single Redis and on the local Redis Cluster alike) and RabbitMQ vhost, so
tests never see each other's state and nothing needs mocking. An unreachable server FAILS
the test (never skips): a silently skipped integration suite looks exactly like a green one.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import NamedTuple, NoReturn
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import aio_pika
import asyncpg  # type: ignore[import-untyped]  # no stubs shipped
import httpx
import pytest
import redis.asyncio as aioredis

HINT = "is it running? start the test servers with `scripts/services up`"
CONNECT_TIMEOUT = 5.0
RESTART_TIMEOUT = 90.0

RabbitRestart = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class RigSettings:
    """Where the shared servers live; one env var each so CI or a laptop can point elsewhere."""

    pg_dsn: str
    redis_url: str
    amqp_url: str
    rabbit_api: str
    redis_cluster_url: str = "redis://127.0.0.1:7001"  # any node of the Redis Cluster


class RedisNamespace(NamedTuple):
    """A Redis URL plus the key prefix this test owns (unpacks as ``url, prefix``)."""

    url: str
    prefix: str


def _unique(kind: str) -> str:
    """A short collision-free name; the prefix makes leftovers easy to spot and clean."""
    return f"eco2_test_{kind}_{uuid.uuid4().hex[:12]}"


def _unreachable(service: str, where: str, exc: BaseException) -> NoReturn:
    """Fail (not skip) with a message that says how to fix the machine."""
    msg = f"{service} at {where} unreachable ({exc!r}); {HINT}"
    raise pytest.fail.Exception(msg, pytrace=False) from None


def _redact(url: str) -> str:
    """Drop the password from a URL before it lands in a failure message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _with_path(url: str, path: str) -> str:
    """Same server and credentials, another database / vhost (``path`` already quoted)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{path}"))


@pytest.fixture(scope="session")
def rig_settings() -> RigSettings:
    """Server addresses, overridable via ECO2_TEST_* environment variables."""
    env = os.environ.get
    return RigSettings(
        pg_dsn=env(
            "ECO2_TEST_PG_DSN", "postgresql://eco2:eco2@127.0.0.1:5432/eco2?sslmode=disable"
        ),
        redis_url=env("ECO2_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        amqp_url=env("ECO2_TEST_AMQP_URL", "amqp://eco2:eco2@127.0.0.1:5672/"),
        rabbit_api=env("ECO2_TEST_RABBIT_API", "http://eco2:eco2@127.0.0.1:15672"),
        redis_cluster_url=env("ECO2_TEST_REDIS_CLUSTER_URL", "redis://127.0.0.1:7001"),
    )


# ------------------------------------------------------------------ PostgreSQL


async def _pg_admin(dsn: str) -> asyncpg.Connection:
    """Connect to the admin database, turning 'connection refused' into a clear failure."""
    try:
        return await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        _unreachable("PostgreSQL", _redact(dsn), exc)


@pytest.fixture
async def pg_dsn(rig_settings: RigSettings) -> AsyncIterator[str]:
    """A fresh database with PostGIS for this test only; dropped (forcibly) afterwards."""
    name = _unique("db")
    admin = await _pg_admin(rig_settings.pg_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = _with_path(rig_settings.pg_dsn, name)
    try:
        conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        finally:
            await conn.close()
        yield dsn
    finally:
        admin = await _pg_admin(rig_settings.pg_dsn)
        try:
            # FORCE: code under test may leak pooled connections; they must not block cleanup.
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


# ------------------------------------------------------------------ Redis


async def purge_redis_prefix(client: aioredis.Redis | aioredis.RedisCluster, prefix: str) -> int:
    """Delete every key under ``prefix`` (SCAN + UNLINK, never KEYS on a shared server). On
    a cluster SCAN visits every primary and UNLINK is split by slot by the client."""
    deleted = 0
    batch: list[bytes] = []
    async for key in client.scan_iter(match=f"{prefix}*", count=500):
        batch.append(key)
        if len(batch) >= 500:
            deleted += await client.unlink(*batch)
            batch.clear()
    if batch:
        deleted += await client.unlink(*batch)
    return deleted


@pytest.fixture
async def redis_url_and_prefix(rig_settings: RigSettings) -> AsyncIterator[RedisNamespace]:
    """The shared Redis plus a key prefix owned by this test; its keys are purged afterwards.

    Keys outside the prefix are not touched, so tests can share one Redis database.
    """
    url = rig_settings.redis_url
    prefix = _unique("redis") + ":"
    client = aioredis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT)
    try:
        try:
            await client.ping()
        except (OSError, aioredis.RedisError) as exc:
            _unreachable("Redis", _redact(url), exc)
        yield RedisNamespace(url, prefix)
        await purge_redis_prefix(client, prefix)
    finally:
        await client.aclose()


class RedisClusterNamespace(NamedTuple):
    """A Redis Cluster client plus the key prefix this test owns (``client, prefix``).

    Keys are ``<prefix>…{tag}…``: the prefix comes first (so SCAN by prefix finds them for
    cleanup) and a hash tag after it picks the slot, so isolation and slots do not clash."""

    client: aioredis.RedisCluster
    prefix: str


@pytest.fixture
async def redis_cluster_url_and_prefix(
    rig_settings: RigSettings,
) -> AsyncIterator[RedisNamespace]:
    """The local Redis Cluster (``scripts/services``) plus a key prefix owned by this test;
    its keys are purged from every primary afterwards."""
    url = rig_settings.redis_cluster_url
    prefix = _unique("redis") + ":"
    try:
        client = aioredis.RedisCluster.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT)
        await client.initialize()
    except (OSError, aioredis.RedisError) as exc:
        _unreachable("Redis Cluster", _redact(url), exc)
    try:
        yield RedisNamespace(url, prefix)
        await purge_redis_prefix(client, prefix)
    finally:
        await client.aclose()


@pytest.fixture
async def redis_cluster(
    redis_cluster_url_and_prefix: RedisNamespace,
) -> AsyncIterator[RedisClusterNamespace]:
    """A cluster client for this test, with its own key prefix."""
    url, prefix = redis_cluster_url_and_prefix
    client = aioredis.RedisCluster.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT)
    try:
        # Learn the slot map now, as the composition root does: redis-py's lazy first
        # initialization races when many commands start together on a fresh client.
        await client.initialize()
        yield RedisClusterNamespace(client, prefix)
    finally:
        await client.aclose()


# ------------------------------------------------------------------ RabbitMQ


def _api_client(api_url: str) -> httpx.AsyncClient:
    """HTTP client for the management API; credentials come from the URL's userinfo."""
    parts = urlsplit(api_url)
    base = urlunsplit(parts._replace(netloc=f"{parts.hostname}:{parts.port or 15672}"))
    auth = (parts.username or "guest", parts.password or "guest")
    return httpx.AsyncClient(base_url=base, auth=auth, timeout=CONNECT_TIMEOUT)


@pytest.fixture
async def amqp_url(rig_settings: RigSettings) -> AsyncIterator[str]:
    """AMQP URL of a fresh vhost for this test; the vhost (queues and all) is deleted after.

    A vhost per test is far cheaper than a broker per test and isolates queues, exchanges
    and bindings completely.
    """
    vhost = _unique("vhost")
    path = f"/api/vhosts/{quote(vhost, safe='')}"
    user = urlsplit(rig_settings.amqp_url).username or "guest"
    async with _api_client(rig_settings.rabbit_api) as api:
        try:
            (await api.put(path)).raise_for_status()
        except httpx.TransportError as exc:
            _unreachable("RabbitMQ management API", _redact(rig_settings.rabbit_api), exc)
        try:
            grant = {"configure": ".*", "write": ".*", "read": ".*"}
            perms = f"/api/permissions/{quote(vhost, safe='')}/{quote(user, safe='')}"
            (await api.put(perms, json=grant)).raise_for_status()
            yield _with_path(rig_settings.amqp_url, quote(vhost, safe=""))
        finally:
            (await api.delete(path)).raise_for_status()


def _rabbitmqctl() -> list[str]:
    """How to invoke rabbitmqctl: ECO2_TEST_RABBITMQCTL, else Debian's root wrapper.

    /usr/sbin/rabbitmqctl, run as root, re-executes itself as user ``rabbitmq`` so it uses
    the server's Erlang cookie and node name; see scripts/services.
    """
    override = os.environ.get("ECO2_TEST_RABBITMQCTL")
    if override:
        return shlex.split(override)
    return [shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"]


async def _ctl(*args: str) -> None:
    """Run one rabbitmqctl command; a failure shows its output."""
    proc = await asyncio.create_subprocess_exec(
        *_rabbitmqctl(),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        pytest.fail(f"rabbitmqctl {' '.join(args)} failed: {out.decode(errors='replace')}")


async def _wait_amqp(url: str, within_s: float) -> None:
    """Poll until ``url`` accepts an AMQP connection and a channel (the vhost is up)."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            conn = await aio_pika.connect(url, timeout=CONNECT_TIMEOUT)
            async with conn:
                await conn.channel()
            return
        except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as exc:
            if time.monotonic() > deadline:
                pytest.fail(f"RabbitMQ at {_redact(url)} not back after restart: {exc!r}")
            await asyncio.sleep(0.5)


async def restart_rabbitmq(wait_url: str, within_s: float = RESTART_TIMEOUT) -> None:
    """Simulate a broker restart (stop_app + start_app); return once ``wait_url`` works again.

    Only the RabbitMQ application restarts, the Erlang node stays up: durable queues and
    persistent messages must survive, everything else (connections, channels) is dropped.
    """
    try:
        await _ctl("stop_app")
    finally:
        await _ctl("start_app")
    await _wait_amqp(wait_url, within_s)


@pytest.fixture
def rabbitmq_restart(amqp_url: str) -> RabbitRestart:
    """``await rabbitmq_restart()`` restarts the broker and waits for this test's vhost."""

    async def restart() -> None:
        await restart_rabbitmq(amqp_url)

    return restart


@pytest.fixture
def drop_amqp_connections(amqp_url: str, rig_settings: RigSettings) -> RabbitRestart:
    """``await drop_amqp_connections()`` closes every AMQP connection to this test's vhost,
    server side, as a network cut or a broker node failing over would; the server keeps
    running. Returns once at least one connection was closed (the management API lists a new
    connection only after its next statistics tick, so it polls)."""
    vhost = unquote(urlsplit(amqp_url).path.lstrip("/"))

    async def drop() -> None:
        async with _api_client(rig_settings.rabbit_api) as api:
            for _ in range(100):
                listing = await api.get(f"/api/vhosts/{quote(vhost, safe='')}/connections")
                names = [c["name"] for c in listing.json()]
                if names:
                    for name in names:
                        await api.delete(f"/api/connections/{quote(name, safe='')}")
                    return
                await asyncio.sleep(0.2)
        raise AssertionError(f"no AMQP connection to vhost {vhost} ever listed")

    return drop
