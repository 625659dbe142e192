"""Sessions through the local mesh (dev login): refresh rotation and its grace window,
reuse detection, logout, and the revocation endpoints the ext-authz reads without Redis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from functions.kit.settings import Settings
from tests.support.auth_mesh import (
    REVOKED,
    Harness,
    claims,
    registry,
    running,
    session_of,
)
from tests.support.loopback import free_port, serve
from tests.support.recorder import eventually

GRACE_S = 0.5


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with running(Settings(mode="embedded", auth_refresh_grace_s=GRACE_S)) as found:
        yield found


async def logged_in(harness: Harness, user: str = "dev") -> dict[str, str]:
    done = await harness.dev_login(user)
    assert done.status_code == 302 and done.headers["location"].endswith("/#/home")
    return session_of(done)


async def refresh(harness: Harness, session: dict[str, str]) -> httpx.Response:
    return await harness.call("POST", "/api/v1/auth/refresh", {"s_refresh": session["s_refresh"]})


async def revoked_now(harness: Harness) -> set[str]:
    assert (await harness.call("GET", "/internal/auth/revocations")).status_code == 404  # public
    body = (await harness.internal_call("GET", "/internal/auth/revocations")).json()
    assert body["as_of"] <= time.time() + 1
    return {f"{r['kind']}:{r['value']}" for r in body["revoked"]}


async def test_refresh_rotates_both_tokens_in_the_same_family(harness: Harness) -> None:
    session = await logged_in(harness)
    response = await refresh(harness, session)
    assert response.status_code == 200 and response.json()["success"] is True
    rotated = session_of(response)
    old, new = claims(session["s_refresh"]), claims(rotated["s_refresh"])
    assert new["sid"] == old["sid"] and new["jti"] != old["jti"] and new["type"] == "refresh"
    assert claims(rotated["s_access"])["type"] == "access"
    assert claims(rotated["s_access"])["sid"] == old["sid"]
    assert (await refresh(harness, rotated)).status_code == 200  # the successor works


async def test_concurrent_refreshes_with_one_cookie_both_get_the_same_new_session(
    harness: Harness,
) -> None:
    session = await logged_in(harness)
    first, second = await asyncio.gather(refresh(harness, session), refresh(harness, session))
    assert first.status_code == second.status_code == 200
    a, b = session_of(first), session_of(second)
    for name in ("s_access", "s_refresh"):
        assert claims(a[name])["jti"] == claims(b[name])["jti"]
        assert claims(a[name])["sid"] == claims(session["s_refresh"])["sid"]
    assert (await refresh(harness, a)).status_code == 200


async def test_reuse_after_grace_revokes_the_family_and_says_so(harness: Harness) -> None:
    session = await logged_in(harness)
    rotated = session_of(await refresh(harness, session))
    await asyncio.sleep(GRACE_S + 0.3)
    reused = await refresh(harness, session)  # a stolen copy of the old token
    assert reused.status_code == 401 and reused.json()["code"] == "TOKEN_REUSED"
    assert (await refresh(harness, rotated)).status_code == 401  # the family is dead
    sid = claims(session["s_refresh"])["sid"]
    assert f"sid:{sid}" in await revoked_now(harness)
    await eventually(lambda: bool(harness.seen.of(REVOKED)), what="session.revoked event")
    event = harness.seen.of(REVOKED)[0]
    assert (event["kind"], event["value"], event["reason"]) == ("sid", sid, "refresh_reuse")
    assert event["user_id"] == claims(session["s_refresh"])["sub"]


@pytest.mark.parametrize("cookie", [None, "garbage", "access"])
async def test_refresh_without_a_valid_refresh_token_is_401(harness: Harness, cookie: str) -> None:
    session = await logged_in(harness)
    cookies = {} if cookie is None else {"s_refresh": session.get(f"s_{cookie}", cookie)}
    response = await harness.call("POST", "/api/v1/auth/refresh", cookies)
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code"}
    assert response.json()["code"] == ("TOKEN_MISSING" if cookie is None else "TOKEN_INVALID")


async def test_logout_when_logged_out_is_200(harness: Harness) -> None:
    for cookies in ({}, {"s_access": "garbage", "s_refresh": "garbage"}):
        response = await harness.call("POST", "/api/v1/auth/logout", cookies)
        assert response.status_code == 200
        assert response.json()["success"] is True and response.json()["data"]["message"]
    assert await revoked_now(harness) == set()


async def test_logout_clears_cookies_and_revokes_token_and_family(harness: Harness) -> None:
    session = await logged_in(harness)
    response = await harness.call("POST", "/api/v1/auth/logout", session)
    assert response.status_code == 200 and response.json()["success"] is True
    cleared = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    assert set(cleared) == {"s_access", "s_refresh"}
    assert all("max-age=0" in c and "path=/" in c for c in cleared.values())
    access = claims(session["s_access"])
    assert {f"jti:{access['jti']}", f"sid:{access['sid']}"} <= await revoked_now(harness)
    assert (await refresh(harness, session)).status_code == 401
    await eventually(lambda: len(harness.seen.of(REVOKED)) == 2, what="two revocation events")
    assert {(e["kind"], e["reason"]) for e in harness.seen.of(REVOKED)} == {
        ("jti", "logout"), ("sid", "logout"),
    }  # fmt: skip


async def test_logout_with_only_a_refresh_cookie_still_ends_the_family(harness: Harness) -> None:
    session = await logged_in(harness)
    out = await harness.call("POST", "/api/v1/auth/logout", {"s_refresh": session["s_refresh"]})
    assert out.status_code == 200
    assert f"sid:{claims(session['s_refresh'])['sid']}" in await revoked_now(harness)
    assert (await refresh(harness, session)).status_code == 401


async def test_one_users_logout_leaves_another_session_alone(harness: Harness) -> None:
    mine, theirs = await logged_in(harness, "minji"), await logged_in(harness, "jisoo")
    assert claims(mine["s_access"])["sub"] != claims(theirs["s_access"])["sub"]
    await harness.call("POST", "/api/v1/auth/logout", mine)
    assert (await refresh(harness, theirs)).status_code == 200


async def test_revocation_stream_sends_each_new_revocation() -> None:
    internal_port = free_port()
    settings = Settings(
        mode="embedded", auth_revocation_keepalive_s=0.3, internal_port=internal_port
    )
    seen_types: list[str] = []
    from functions.kit.mesh import Mesh  # noqa: PLC0415 - served for real: SSE needs a socket

    mesh = Mesh(settings, registry(), {"auth_test_seen": []}, listen_internal=True)
    path = f"http://127.0.0.1:{internal_port}/internal/auth/revocations/stream"
    async with (
        serve(mesh.app, lifespan="on") as url,
        httpx.AsyncClient(base_url=url) as http,
        http.stream("GET", path) as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        # live as soon as the headers are in: revoke before reading anything
        started = (await http.get("/api/v1/auth/dev")).json()["data"]
        done = await http.get(started["authorization_url"].replace("http://127.0.0.1:8080", url))
        access = claims(session_of(done)["s_access"])
        assert (await http.post("/api/v1/auth/logout")).json()["data"]["message"] == "logged out"
        lines = stream.aiter_lines()
        assert await asyncio.wait_for(anext(lines), 5) == ": keepalive"
        got: list[dict[str, object]] = []
        while len(got) < 2:
            line = await asyncio.wait_for(anext(lines), 5)
            if line.startswith("event:"):
                seen_types.append(line.split(":", 1)[1].strip())
            elif line.startswith("data:"):
                got.append(json.loads(line.split(":", 1)[1]))
        assert {(g["kind"], g["value"]) for g in got} == {
            ("jti", access["jti"]), ("sid", access["sid"]),
        }  # fmt: skip
        assert all(int(str(g["exp"])) > time.time() for g in got)
        keepalive = ""
        while keepalive == "":
            keepalive = await asyncio.wait_for(anext(lines), 5)
        assert keepalive == ": keepalive"  # idle: a keepalive comment follows
    assert seen_types == ["revoked", "revoked"]


async def test_dev_login_exists_only_when_enabled() -> None:
    async with running(Settings(mode="embedded", auth_dev_provider=False)) as off:
        assert (await off.call("GET", "/api/v1/auth/dev")).status_code == 404
        unconfigured = await off.call("GET", "/api/v1/auth/google")
        assert unconfigured.status_code == 503 and unconfigured.json()["code"] == "UNAVAILABLE"
        assert (await off.call("GET", "/api/v1/auth/github")).status_code == 404


async def test_unconfigured_providers_are_simulated_when_dev_login_is_on(harness: Harness) -> None:
    """So the PWA's own Kakao button works offline in the embedded mode."""
    started = await harness.start("kakao")
    assert started["authorization_url"].startswith(
        "http://127.0.0.1:8080/api/v1/auth/kakao/callback?"
    )
    done = await harness.callback(started["authorization_url"])
    assert done.headers["location"] == "http://localhost:5173/#/home"
    assert claims(session_of(done)["s_access"])["provider"] == "kakao"
