"""The auth and users functions on the real adapters (RabbitMQ, Redis, PostgreSQL): a Google
login against its fake, concurrent refreshes, logout, as the deployed functions would run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import pytest
from redis.asyncio import Redis

from functions.auth import keys
from functions.kit.settings import Settings
from tests.rig import RedisNamespace
from tests.support.auth_mesh import (
    REVOKED,
    SIGNED_UP,
    Harness,
    claims,
    running,
    session_of,
    visit_provider,
)
from tests.support.oauth_fakes import FakeProvider, running_fake
from tests.support.recorder import eventually

pytestmark = pytest.mark.integration
CALLBACK = "http://127.0.0.1:8080/api/v1/auth/google/callback"


@pytest.fixture
async def google() -> AsyncIterator[FakeProvider]:
    async with running_fake("google", {CALLBACK}) as fake:
        yield fake


@pytest.fixture
def settings(
    amqp_url: str, redis_url_and_prefix: RedisNamespace, pg_dsn: str, google: FakeProvider
) -> Settings:
    return Settings(
        mode="real",
        amqp_url=amqp_url,
        redis_url=redis_url_and_prefix.url,
        redis_prefix=redis_url_and_prefix.prefix,
        pg_dsn=pg_dsn,
        jwt_private_key=keys.private_pem(keys.generate()),
        **google.settings(),
    )


@pytest.fixture
async def harness(settings: Settings) -> AsyncIterator[Harness]:
    async with running(settings) as found:
        yield found


async def test_google_login_refresh_and_logout_on_real_servers(
    harness: Harness, google: FakeProvider, settings: Settings, pg_dsn: str
) -> None:
    started = await harness.start("google")
    done = await harness.callback(await visit_provider(started["authorization_url"]))
    assert done.headers["location"] == "http://localhost:5173/#/home"
    session = session_of(done)
    user_id = claims(session["s_access"])["sub"]
    me = await harness.call("GET", "/api/v1/users/me", headers={"x-user-id": user_id})
    assert me.json()["username"] == "minji.kim" and me.json()["provider"] == "google"

    refresh = ("POST", "/api/v1/auth/refresh", {"s_refresh": session["s_refresh"]})
    first, second = await asyncio.gather(harness.call(*refresh), harness.call(*refresh))
    assert first.status_code == second.status_code == 200
    assert claims(first.cookies["s_refresh"])["jti"] == claims(second.cookies["s_refresh"])["jti"]

    out = await harness.call("POST", "/api/v1/auth/logout", session_of(first))
    assert out.status_code == 200
    redis = Redis.from_url(settings.redis_url)
    try:
        revoked = await redis.zrange(f"{settings.redis_prefix}auth:revoked", 0, -1, withscores=True)
    finally:
        await redis.aclose()
    members = {m.decode(): s for m, s in revoked}
    assert f"sid:{claims(session['s_access'])['sid']}" in members
    assert all(score > time.time() for score in members.values())
    assert (await harness.call(*refresh)).status_code == 401

    await eventually(lambda: bool(harness.seen.of(SIGNED_UP)), what="users.signed_up")
    await eventually(lambda: len(harness.seen.of(REVOKED)) == 2, what="revocation events")
    conn = await asyncpg.connect(pg_dsn)
    try:
        row = await conn.fetchrow("SELECT provider, provider_user_id FROM social_accounts")
        assert tuple(row) == ("google", google.user.id)
        assert await conn.fetchval("SELECT announced_at IS NOT NULL FROM users") is True
    finally:
        await conn.close()
