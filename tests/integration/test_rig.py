"""Proof that the rig fixtures (tests/rig.py) isolate tests on the real servers."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]  # no stubs shipped
import httpx
import pytest
import redis.asyncio as aioredis
from aio_pika import DeliveryMode, Message, connect
from aio_pika.abc import AbstractIncomingMessage

from tests.rig import RabbitRestart, RedisNamespace, RigSettings, purge_redis_prefix

pytestmark = pytest.mark.integration

# Names handed out to earlier tests, so a later test can check they were cleaned up.
_seen_databases: list[str] = []
_seen_vhosts: list[str] = []


async def test_pg_database_has_postgis(pg_dsn: str) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await conn.fetchval("SELECT postgis_version()")
        point = await conn.fetchval("SELECT ST_AsText(ST_MakePoint(126.97, 37.56))")
        assert point == "POINT(126.97 37.56)"
    finally:
        await conn.close()


@pytest.mark.parametrize("run", [1, 2])
async def test_pg_databases_differ(pg_dsn: str, rig_settings: RigSettings, run: int) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        name = await conn.fetchval("SELECT current_database()")
        await conn.execute("CREATE TABLE leftover (id int)")  # would clash if DB were shared
    finally:
        await conn.close()
    assert name not in _seen_databases
    if _seen_databases:  # the previous test's database is gone
        admin = await asyncpg.connect(rig_settings.pg_dsn)
        try:
            exists = await admin.fetchval(
                "SELECT count(*) FROM pg_database WHERE datname = $1", _seen_databases[-1]
            )
        finally:
            await admin.close()
        assert exists == 0
    _seen_databases.append(name)


# Prefixes test_redis_prefix_is_cleaned left keys under for its teardown to purge. Checked by
# name, not by a global "eco2_test_redis_*" scan: the shared Redis outlives test runs, and a run
# killed halfway leaves keys (with a TTL) that must not fail the next run.
CLEANED_PREFIXES: list[str] = []


async def test_redis_prefix_is_cleaned(redis_url_and_prefix: RedisNamespace) -> None:
    url, prefix = redis_url_and_prefix
    client = aioredis.Redis.from_url(url)
    try:
        await client.set("eco2_rig_outsider", "keep")
        for i in range(1200):  # more than one SCAN/UNLINK batch
            await client.set(f"{prefix}k{i}", i)
        assert await purge_redis_prefix(client, prefix) == 1200
        assert [k async for k in client.scan_iter(match=f"{prefix}*")] == []
        assert await client.get("eco2_rig_outsider") == b"keep"
        await client.set(f"{prefix}left-for-teardown", 1)
        CLEANED_PREFIXES.append(prefix)
    finally:
        await client.delete("eco2_rig_outsider")
        await client.aclose()


async def test_redis_prefixes_are_unique(
    redis_url_and_prefix: RedisNamespace,
) -> None:
    assert redis_url_and_prefix.prefix.startswith("eco2_test_redis_")
    client = aioredis.Redis.from_url(redis_url_and_prefix.url)
    try:  # nothing left over by test_redis_prefix_is_cleaned's teardown
        for cleaned in CLEANED_PREFIXES:
            assert cleaned != redis_url_and_prefix.prefix
            assert [k async for k in client.scan_iter(match=f"{cleaned}*")] == []
    finally:
        await client.aclose()


async def _publish(url: str, body: bytes, queue_name: str) -> None:
    """Publish a persistent message to a durable queue and wait for the broker's confirm."""
    async with await connect(url) as conn:
        channel = await conn.channel(publisher_confirms=True)
        queue = await channel.declare_queue(queue_name, durable=True)
        msg = Message(body, delivery_mode=DeliveryMode.PERSISTENT)
        await channel.default_exchange.publish(msg, routing_key=queue.name)


async def _get_one(url: str, queue_name: str) -> AbstractIncomingMessage | None:
    async with await connect(url) as conn:
        channel = await conn.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        message = await queue.get(fail=False, no_ack=True)
        return message


async def test_amqp_vhost_usable_and_deleted(amqp_url: str, rig_settings: RigSettings) -> None:
    vhost = amqp_url.rsplit("/", 1)[1]
    assert vhost.startswith("eco2_test_vhost_")
    await _publish(amqp_url, b"hello", "rig.q")
    message = await _get_one(amqp_url, "rig.q")
    assert message is not None and message.body == b"hello"
    _seen_vhosts.append(vhost)  # the next test checks the teardown deleted it


async def test_amqp_previous_vhost_deleted(amqp_url: str, rig_settings: RigSettings) -> None:
    assert _seen_vhosts, "run together with test_amqp_vhost_usable_and_deleted"
    previous = _seen_vhosts[-1]
    api = rig_settings.rabbit_api
    async with httpx.AsyncClient() as client:
        resp = await client.get(f"{api}/api/vhosts/{previous}")
    assert resp.status_code == 404
    assert previous not in amqp_url


async def test_rabbitmq_restart_keeps_persistent_messages(
    amqp_url: str, rabbitmq_restart: RabbitRestart
) -> None:
    await _publish(amqp_url, b"survives", "rig.durable")
    await rabbitmq_restart()
    message = await _get_one(amqp_url, "rig.durable")
    assert message is not None and message.body == b"survives"
