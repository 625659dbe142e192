"""OAuth logins end to end through the local mesh (embedded: no servers needed), against
local fakes of each provider speaking its real wire format (real loopback HTTP servers).

Every failure mode must land on the PWA's login page with `oauth_failed`, never on a 500 and
never on an origin that is not allow-listed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from functions.auth.keys import ALGORITHM
from functions.kit.settings import Settings
from tests.support.auth_mesh import ORIGIN, SIGNED_UP, Harness, claims, running, visit_provider
from tests.support.oauth_fakes import USERS, FakeProvider, running_fake
from tests.support.recorder import eventually

CALLBACK = "http://127.0.0.1:8080/api/v1/auth/{}/callback"
PROXIED = "http://127.0.0.1:5173/api/v1/auth/{}/callback"  # the PWA dev server proxying /api
HOME = f"{ORIGIN}/#/home"
FAILED = f"{ORIGIN}/#/login?error=oauth_failed"


@pytest.fixture(params=["google", "kakao", "naver"])
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeProvider]:
    provider = request.param
    async with running_fake(provider, {CALLBACK.format(provider), PROXIED.format(provider)}) as f:
        yield f


@pytest.fixture
async def harness(fake: FakeProvider) -> AsyncIterator[Harness]:
    async with running(Settings(mode="embedded", **fake.settings())) as found:
        yield found


async def login(harness: Harness, fake: FakeProvider, **params: str) -> httpx.Response:
    started = await harness.start(fake.name, **params)
    return await harness.callback(await visit_provider(started["authorization_url"]))


async def test_login_sets_the_session_and_sends_the_user_home(
    harness: Harness, fake: FakeProvider
) -> None:
    started = await harness.start(fake.name)
    assert set(started) == {"provider", "state", "authorization_url", "expires_at"}
    query = parse_qs(urlsplit(started["authorization_url"]).query)
    assert query["state"] == [started["state"]] and query["client_id"] == [fake.client_id]
    assert ("code_challenge" in query) is fake.pkce  # S256 for Google and Kakao, not Naver
    done = await harness.callback(await visit_provider(started["authorization_url"]))
    assert done.status_code == 302 and done.headers["location"] == HOME
    cookies = {c.split("=", 1)[0]: c for c in done.headers.get_list("set-cookie")}
    for name, max_age in (("s_access", 900), ("s_refresh", 1_209_600)):
        attrs = cookies[name].lower()
        assert "httponly" in attrs and "path=/" in attrs and "samesite=lax" in attrs
        assert f"max-age={max_age}" in attrs and "secure" not in attrs  # off for local http
    token = done.cookies["s_access"]
    jwks = (await harness.call("GET", "/api/v1/auth/.well-known/jwks.json")).json()
    key = jwt.PyJWK(jwks["keys"][0])
    verified = jwt.decode(token, key, algorithms=[ALGORITHM], audience="eco2-api")
    assert verified["provider"] == fake.name and verified["type"] == "access"
    me = await harness.call("GET", "/api/v1/users/me", headers={"x-user-id": verified["sub"]})
    expected = USERS[fake.name]
    assert me.json()["nickname"] == expected.nickname and me.json()["username"]
    assert me.json()["phone_number"] == expected.mobile and me.json()["provider"] == fake.name


async def test_the_exchange_carries_pkce_or_state_and_the_redirect_uri(
    harness: Harness, fake: FakeProvider
) -> None:
    assert (await login(harness, fake)).headers["location"] == HOME
    sent = fake.token_requests[-1]
    assert sent["client_id"] == fake.client_id and sent["code"]
    if fake.pkce:
        assert len(sent["code_verifier"]) >= 43 and "state" not in sent
        assert sent["redirect_uri"] == CALLBACK.format(fake.name)
    else:
        assert "code_verifier" not in sent and sent["state"]


async def test_first_login_publishes_signed_up_once(harness: Harness, fake: FakeProvider) -> None:
    first = claims((await login(harness, fake)).cookies["s_access"])
    second = claims((await login(harness, fake)).cookies["s_access"])
    assert first["sub"] == second["sub"] and first["sid"] != second["sid"]
    await eventually(lambda: len(harness.seen.of(SIGNED_UP)) >= 1, what="users.signed_up")
    await asyncio.sleep(0.2)  # a duplicate would have arrived by now
    events = harness.seen.of(SIGNED_UP)
    assert [(e["user_id"], e["provider"]) for e in events] == [(first["sub"], fake.name)]


async def test_redirect_uri_under_an_allowed_origin_is_used(
    harness: Harness, fake: FakeProvider
) -> None:
    done = await login(harness, fake, redirect_uri=PROXIED.format(fake.name))
    assert done.headers["location"] == HOME


@pytest.mark.parametrize("failure", ["deny_consent", "token_status", "profile_status"])
async def test_provider_failures_end_on_the_login_page(
    harness: Harness, fake: FakeProvider, failure: str
) -> None:
    setattr(fake, failure, True if failure == "deny_consent" else 502)
    done = await login(harness, fake)
    assert done.status_code == 302 and done.headers["location"] == FAILED
    assert "set-cookie" not in done.headers


async def test_a_state_is_used_once(harness: Harness, fake: FakeProvider) -> None:
    url = (await harness.start(fake.name))["authorization_url"]
    first, second = await visit_provider(url), await visit_provider(url)  # two valid codes
    assert (await harness.callback(first)).headers["location"] == HOME
    replay = await harness.callback(second)  # the provider would redeem this code: we refuse
    assert replay.headers["location"] == FAILED and "set-cookie" not in replay.headers
    assert len(fake.token_requests) == 1


async def test_a_code_injected_into_another_login_fails_pkce(
    harness: Harness, fake: FakeProvider
) -> None:
    """The attacker's code pasted into the victim's login: our verifier is the victim's,
    the code's challenge the attacker's; the provider refuses (Naver: the state differs)."""
    attacker = await visit_provider((await harness.start(fake.name))["authorization_url"])
    victim = await harness.start(fake.name)
    code = parse_qs(urlsplit(attacker).query)["code"][0]
    injected = f"{CALLBACK.format(fake.name)}?code={code}&state={victim['state']}"
    done = await harness.callback(injected)
    assert done.headers["location"] == FAILED and "set-cookie" not in done.headers
    assert fake.token_requests, "the code reached the provider, which refused it"


async def test_unknown_state_goes_to_the_default_origin(
    harness: Harness, fake: FakeProvider
) -> None:
    done = await harness.callback(f"{CALLBACK.format(fake.name)}?code=x&state=forged")
    assert done.status_code == 302 and done.headers["location"] == FAILED
    missing = await harness.callback(f"{CALLBACK.format(fake.name)}?code=x")
    assert missing.headers["location"] == FAILED


async def test_a_state_is_bound_to_its_provider(harness: Harness, fake: FakeProvider) -> None:
    back = await visit_provider((await harness.start(fake.name))["authorization_url"])
    other = "kakao" if fake.name != "kakao" else "naver"
    moved = back.replace(f"/{fake.name}/callback", f"/{other}/callback")
    assert (await harness.callback(moved)).headers["location"] == FAILED


async def test_an_expired_state_fails(fake: FakeProvider) -> None:
    settings = Settings(mode="embedded", auth_state_ttl_s=0, **fake.settings())
    async with running(settings) as harness:
        assert (await login(harness, fake)).headers["location"] == FAILED


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({"X-Frontend-Origin": "https://evil.example"}, {}),
        ({"X-Frontend-Origin": "http://localhost:5173.evil.example"}, {}),
        ({"X-Frontend-Origin": ORIGIN}, {"redirect_uri": "https://evil.example/cb"}),
        (
            {"X-Frontend-Origin": ORIGIN},
            {"redirect_uri": "https://evil.example/api/v1/auth/google/callback"},
        ),
    ],
)
async def test_no_open_redirect(
    harness: Harness, fake: FakeProvider, headers: dict[str, str], params: dict[str, Any]
) -> None:
    response = await harness.call(
        "GET", f"/api/v1/auth/{fake.name}", headers=headers, params=params
    )
    assert response.status_code == 400 and "location" not in response.headers
    assert response.json()["code"] == "BAD_REQUEST" and "not allowed" in response.json()["detail"]
    assert fake.token_requests == []
