"""`GET/PATCH /api/v1/users/me` through the local mesh, on both modes. The edge would inject
`x-user-id` from a verified token; here the test passes it as the edge would."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from functions.auth import keys
from functions.kit.settings import Settings
from tests.rig import RedisNamespace
from tests.support.auth_mesh import Harness, claims, running, session_of


@pytest.fixture
def embedded_settings() -> Settings:
    return Settings(mode="embedded")


@pytest.fixture
def real_settings(amqp_url: str, redis_url_and_prefix: RedisNamespace, pg_dsn: str) -> Settings:
    return Settings(
        mode="real",
        amqp_url=amqp_url,
        redis_url=redis_url_and_prefix.url,
        redis_prefix=redis_url_and_prefix.prefix,
        pg_dsn=pg_dsn,
        auth_dev_provider=True,
        jwt_private_key=keys.private_pem(keys.generate()),
    )


@pytest.fixture(params=["embedded", pytest.param("real", marks=pytest.mark.integration)])
def settings(request: pytest.FixtureRequest) -> Settings:
    found: Settings = request.getfixturevalue(f"{request.param}_settings")
    return found


@pytest.fixture
async def harness(settings: Settings) -> AsyncIterator[Harness]:
    async with running(settings) as found:
        yield found


async def user_of(harness: Harness, name: str = "minji") -> dict[str, str]:
    session = session_of(await harness.dev_login(name))
    return {"x-user-id": claims(session["s_access"])["sub"]}


async def test_me_is_the_callers_profile(harness: Harness) -> None:
    me = await harness.call("GET", "/api/v1/users/me", headers=await user_of(harness))
    assert me.status_code == 200
    body = me.json()
    assert (body["nickname"], body["username"], body["phone_number"], body["provider"]) == (
        "minji", "minji", None, "dev",
    )  # fmt: skip


async def test_without_identity_it_is_401_never_403(harness: Harness) -> None:
    for method in ("GET", "PATCH"):
        response = await harness.call(method, "/api/v1/users/me", json={"nickname": "x"})
        assert response.status_code == 401 and response.json()["code"] == "UNAUTHENTICATED"


async def test_an_unknown_user_is_404(harness: Harness) -> None:
    for who in ("0f1e2d3c-4b5a-4697-8877-665544332211", "not-a-uuid"):
        response = await harness.call("GET", "/api/v1/users/me", headers={"x-user-id": who})
        assert response.status_code == 404 and set(response.json()) == {"detail", "code"}


async def test_patch_changes_the_nickname(harness: Harness) -> None:
    caller = await user_of(harness)
    other = await user_of(harness, "jisoo")
    response = await harness.call(
        "PATCH", "/api/v1/users/me", headers=caller, json={"nickname": "  지구지킴이  "}
    )
    assert 200 <= response.status_code < 300
    me = (await harness.call("GET", "/api/v1/users/me", headers=caller)).json()
    assert me["nickname"] == "지구지킴이" and me["username"] == "minji"
    assert (await harness.call("GET", "/api/v1/users/me", headers=other)).json()["nickname"] == (
        "jisoo"
    )


INVALID: list[dict[str, object]] = [
    {"nickname": ""},
    {"nickname": "   "},
    {"nickname": "가" * 31},
    {"nickname": "bad\u0000name"},
    {"nickname": "line\nbreak"},
    {"nickname": "evil\u202egnp"},
    {"nickname": 42},
    {"nickname": None},
    {},
]


async def test_invalid_nicknames_are_refused_and_nothing_changes(harness: Harness) -> None:
    caller = await user_of(harness)
    for body in INVALID:  # one mesh for all cases: the real mode's is slow to build
        response = await harness.call("PATCH", "/api/v1/users/me", headers=caller, json=body)
        assert response.status_code in (400, 422), body
        assert set(response.json()) == {"detail", "code"}
    me = (await harness.call("GET", "/api/v1/users/me", headers=caller)).json()
    assert me["nickname"] == "minji"


async def test_a_nickname_of_the_maximum_length_is_fine(harness: Harness) -> None:
    caller = await user_of(harness)
    response = await harness.call(
        "PATCH", "/api/v1/users/me", headers=caller, json={"nickname": "가" * 30}
    )
    assert response.status_code == 200 and response.json()["nickname"] == "가" * 30


async def test_an_emoji_sequence_is_a_nickname(harness: Harness) -> None:
    caller = await user_of(harness)
    name = "👩\u200d💻 지구지킴이"
    response = await harness.call("PATCH", "/api/v1/users/me", headers=caller,
                                  json={"nickname": name})  # fmt: skip
    assert response.status_code == 200 and response.json()["nickname"] == name
