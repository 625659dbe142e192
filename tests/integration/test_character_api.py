"""`GET /api/v1/users/me/characters` on the mesh (both modes) and as its own deployed app."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from eventing.events.character import CharacterGrantRequested
from functions.kit.http_hosting import create_http_app
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings
from tests.integration.test_character_grants import (
    Granted,
    character_registry,
    publish,
    settings,
)
from tests.support.recorder import eventually
from tests.support.users import existing_user, mesh_user

pytestmark = pytest.mark.integration
__all__ = ["settings"]  # a fixture shared with the grants tests
PATH = "/api/v1/users/me/characters"
FIELDS = {"id", "code", "name", "type", "dialog", "acquired_at"}
ECO_ID = "56d8eb26-cf84-54a8-8fd9-4846ccfb3183"


@pytest.fixture
async def mesh(settings: Settings) -> AsyncIterator[Mesh]:
    mesh = Mesh(settings, character_registry(), {"granted": Granted()})
    await mesh.start()
    yield mesh
    await mesh.close()


@pytest.fixture
async def client(mesh: Mesh) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mesh.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mesh") as http:
        yield http


def as_user(user_id: str) -> dict[str, str]:
    return {"x-user-id": user_id}  # what the edge injects after verifying the token


async def test_a_new_user_gets_a_bare_array_with_eco(mesh: Mesh, client: httpx.AsyncClient) -> None:
    user = await mesh_user(mesh)
    response = await client.get(PATH, headers=as_user(user))
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    (eco,) = body
    assert set(eco) == FIELDS
    assert (eco["id"], eco["code"], eco["name"], eco["type"]) == (
        ECO_ID,
        "char-eco",
        "이코",
        "기본",
    )
    assert eco["dialog"]
    datetime.fromisoformat(eco["acquired_at"])
    again = await client.get(PATH, headers=as_user(user))
    assert again.json() == body  # read twice, granted once: same acquired_at


async def test_no_identity_is_401_and_nobody_can_name_another_user(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(PATH)
    assert response.status_code == 401
    assert response.json() == {"detail": "authentication required", "code": "UNAUTHENTICATED"}
    other = str(uuid.uuid4())
    response = await client.get(f"/api/v1/users/{other}/characters", headers=as_user(other))
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    response = await client.get(PATH, headers=as_user("not-a-uuid"))
    assert response.status_code == 400 and response.json()["code"] == "BAD_REQUEST"


async def test_each_user_sees_only_their_own_characters(
    mesh: Mesh, client: httpx.AsyncClient
) -> None:
    alice, bob = await mesh_user(mesh), await mesh_user(mesh)
    grant = CharacterGrantRequested(
        user_id=alice, character_code="char-paepy", reason="scan reward: 종이", source="job-1"
    )
    await publish(mesh, grant)

    async def alice_has_two() -> bool:
        return len((await client.get(PATH, headers=as_user(alice))).json()) == 2

    await eventually(alice_has_two, timeout_s=30, what="alice's grant")
    mine = (await client.get(PATH, headers=as_user(alice))).json()
    assert [(c["code"], c["name"]) for c in mine] == [
        ("char-eco", "이코"),
        ("char-paepy", "페이피"),
    ]
    theirs = (await client.get(PATH, headers=as_user(bob))).json()
    assert [c["code"] for c in theirs] == ["char-eco"]


async def test_the_deployed_function_serves_the_same_route() -> None:
    app = create_http_app(Settings(mode="embedded", function="character-api"))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://fn") as http,
    ):
        nobody = await http.get(PATH, headers=as_user(str(uuid.uuid4())))
        assert nobody.status_code == 404  # a user id no user has: nothing to show
        users = await app.state.container.get("users_repository")
        response = await http.get(PATH, headers=as_user(await existing_user(users)))
        assert response.status_code == 200
        assert [c["name"] for c in response.json()] == ["이코"]
        assert (await http.get(PATH)).status_code == 401
