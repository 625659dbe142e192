"""Character grants through the whole mesh: broker, processed-event store, ownership store.

Real mode is RabbitMQ + Redis + PostgreSQL; embedded mode runs the same tests in memory.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from cloudevents.http import CloudEvent

from eventing.events.character import GRANTED, CharacterGranted, CharacterGrantRequested
from eventing.events.users import UserSignedUp
from functions.kit.bootstrap import build_registry
from functions.kit.declare import Delivery, Function, Trigger
from functions.kit.mesh import Mesh
from functions.kit.registry import Registry
from functions.kit.settings import Settings
from tests.support.recorder import eventually
from tests.support.users import existing_user, mesh_user

pytestmark = pytest.mark.integration
MODULES = ("functions.kit.functions", "functions.character.functions")
ALICE = "3f1c2a9e-8d4b-4c5e-9f70-1a2b3c4d5e6f"


class Granted(list[CloudEvent]):
    """Every `character.granted` reply the mesh delivered."""


async def record(event: CloudEvent, granted: Granted) -> None:
    granted.append(event)


RECORDER = Function(
    name="test-granted-recorder",
    domain="tests",
    handler=f"{__name__}:record",
    trigger=Trigger(type=GRANTED),
    delivery=Delivery(retries=1, base_delay_s=0.05, timeout_s=5),
)


def character_registry() -> Registry:
    base = build_registry(modules=MODULES)
    return Registry((*base, RECORDER), base.catalog, base.providers, base.migrations)


@pytest.fixture(params=["embedded", "real"])
def settings(request: pytest.FixtureRequest) -> Settings:
    found: Settings = request.getfixturevalue(f"{request.param}_settings")
    return found


@pytest.fixture
async def mesh(settings: Settings) -> AsyncIterator[Mesh]:
    mesh = Mesh(settings, character_registry(), {"granted": Granted()})
    await mesh.start()
    yield mesh
    await mesh.close()


async def publish(mesh: Mesh, data: Any, event_id: str | None = None) -> None:
    assert mesh.runtime is not None
    publisher = await mesh.runtime.container.get("publisher")
    await publisher.publish(data, event_id=event_id)


def replies(mesh: Mesh) -> list[CharacterGranted]:
    assert mesh.runtime is not None
    recorded: Granted = mesh.runtime.container.get_now("granted")
    return [CharacterGranted.model_validate(e.get_data()) for e in recorded]


async def stored_rows(mesh: Mesh, user_id: str) -> list[tuple[str, str]]:
    """Rows as the adapter stores them: straight from PostgreSQL in real mode."""
    assert mesh.runtime is not None
    if mesh.settings.mode == "real":
        conn = await asyncpg.connect(mesh.settings.pg_dsn)
        try:
            rows = await conn.fetch(
                "SELECT character_code, source FROM character_ownership WHERE user_id = $1",
                uuid.UUID(user_id),
            )
        finally:
            await conn.close()
        return [(r["character_code"], r["source"]) for r in rows]
    repo = await mesh.runtime.container.get("character_ownerships")
    return [(o.character_code, o.source) for o in await repo.list_for(user_id)]


async def test_200_concurrent_duplicate_grants_make_one_ownership(mesh: Mesh) -> None:
    user = await mesh_user(mesh)

    def request(source: str) -> CharacterGrantRequested:
        return CharacterGrantRequested(
            user_id=user,
            character_code="char-petty",
            reason="scan reward: 무색페트병",
            source=source,
        )

    same_id = str(uuid.uuid4())
    copies = [publish(mesh, request("job-same"), event_id=same_id) for _ in range(100)]
    distinct = [publish(mesh, request(f"job-{i}")) for i in range(100)]
    await asyncio.gather(*copies, *distinct)
    # 100 copies of one event run once (one reply); 100 distinct events run 100 times.
    await eventually(lambda: len(replies(mesh)) >= 101, timeout_s=60, what="101 granted replies")
    await asyncio.sleep(0.3)  # let any stray extra reply arrive before counting
    got = replies(mesh)
    assert len(got) == 101
    assert [r.newly_granted for r in got].count(True) == 1
    assert {(r.user_id, r.character_code) for r in got} == {(user, "char-petty")}
    assert len({r.acquired_at for r in got}) == 1  # every reply reports the winner's grant
    rows = await stored_rows(mesh, user)
    assert len(rows) == 1 and rows[0][0] == "char-petty"
    assert mesh.runtime is not None
    assert await mesh.runtime.broker.dead_letters() == []


@pytest.mark.parametrize(
    ("user_id", "code", "cause"),
    [
        (ALICE, "char-nope", "UnknownCharacterError: no character with code 'char-nope'"),
        ("user-42", "char-paepy", "InvalidUserIdError: user id 'user-42' is not a UUID"),
        (ALICE, "char-paepy", f"UnknownUserError: user {ALICE} does not exist"),
    ],
    ids=["unknown-code", "bad-user-id", "no-such-user"],
)
async def test_a_grant_that_can_never_work_is_dead_lettered_with_its_cause(
    mesh: Mesh, user_id: str, code: str, cause: str
) -> None:
    assert mesh.runtime is not None
    broker = mesh.runtime.broker
    await publish(
        mesh,
        CharacterGrantRequested(user_id=user_id, character_code=code, reason="test", source="j-1"),
    )
    letters: list[Any] = []

    async def dead_lettered() -> bool:
        letters[:] = await broker.dead_letters()
        return len(letters) == 1

    await eventually(dead_lettered, timeout_s=30, what="the grant to be dead-lettered")
    assert letters[0].trigger == "character-grant"
    assert letters[0].attempts == 1  # a bad request is not retried
    assert letters[0].error == cause
    assert replies(mesh) == []
    assert await stored_rows(mesh, ALICE) == []


async def test_welcome_grants_eco_once(mesh: Mesh) -> None:
    user = await mesh_user(mesh)
    signed_up = UserSignedUp(user_id=user, provider="dev", created_at=datetime.now(UTC))
    event_id = str(uuid.uuid4())
    await asyncio.gather(
        publish(mesh, signed_up, event_id=event_id),  # a redelivered copy
        publish(mesh, signed_up, event_id=event_id),
        publish(mesh, signed_up),  # the users domain publishing twice
    )
    await eventually(lambda: len(replies(mesh)) == 2, timeout_s=30, what="2 granted replies")
    got = replies(mesh)
    assert sorted(r.newly_granted for r in got) == [False, True]
    assert {r.character_code for r in got} == {"char-eco"}
    assert await stored_rows(mesh, user) == [("char-eco", "signup")]


async def pg_user(pg_dsn: str) -> str:
    """A user in the deployed function's database (its migrations ran when it was built)."""
    from functions.users.postgres_users import PostgresUserRepository  # noqa: PLC0415

    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=1)
    try:
        return await existing_user(PostgresUserRepository(pool))
    finally:
        await pool.close()


async def test_deployed_grant_function_replies_in_the_response(
    monkeypatch: pytest.MonkeyPatch, pg_dsn: str, redis_url_and_prefix: tuple[str, str]
) -> None:
    """Knative's reply contract: the granted event comes back in the HTTP response; a grant
    that can never work is a 422, which Knative sends straight to the dead-letter sink."""
    from functions_framework.aio import create_asgi_app  # noqa: PLC0415

    from eventing.codec import from_http_request, to_http_binary  # noqa: PLC0415
    from functions.kit.bootstrap import build_registry as registry  # noqa: PLC0415

    monkeypatch.setenv("ECO2_FUNCTION", "character-grant")
    monkeypatch.setenv("ECO2_DOMAIN", "character")  # as the generated manifest sets it
    monkeypatch.setenv("ECO2_MODE", "real")  # its users are in PostgreSQL, as deployed
    monkeypatch.setenv("ECO2_PG_DSN", pg_dsn)
    monkeypatch.setenv("ECO2_REDIS_URL", redis_url_and_prefix[0])
    monkeypatch.setenv("ECO2_REDIS_PREFIX", redis_url_and_prefix[1])
    app = create_asgi_app(target="serve", source="functions/kit/hosting.py", signature_type="http")
    catalog = registry().catalog
    user = ""

    def event(code: str) -> tuple[dict[str, str], bytes]:
        data = CharacterGrantRequested(user_id=user, character_code=code, reason="t", source="j")
        return to_http_binary(catalog.make(data))

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fn") as http:
        assert (await http.get("/")).status_code == 200  # Knative's probe builds the function
        user = await pg_user(pg_dsn)
        for expected in (True, False):
            headers, body = event("char-metally")
            response = await http.post("/", headers=headers, content=body)
            assert response.status_code == 200, response.text
            reply = from_http_request(dict(response.headers), response.content)
            assert reply["type"] == GRANTED
            assert reply.get_data()["newly_granted"] is expected
        headers, body = event("char-nope")
        response = await http.post("/", headers=headers, content=body)
        assert response.status_code == 422
        assert "no character with code 'char-nope'" in response.json()["detail"]
