"""CharacterService through a real grpc.aio client, on memory and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import grpc  # type: ignore[import-untyped]
import pytest

from functions.character.catalog import default_catalog
from functions.character.memory_ownership import MemoryOwnershipRepository
from functions.character.ports import OwnershipRepository
from functions.character.postgres_ownership import PostgresOwnershipRepository
from functions.character.proto import modules
from functions.kit.bootstrap import build_registry
from functions.kit.mesh import Mesh
from functions.kit.migrations import migrate
from functions.kit.settings import Settings
from functions.users.memory_users import MemoryUserRepository
from functions.users.ports import UserRepository
from functions.users.postgres_users import PostgresUserRepository
from tests.support.users import existing_user

pytestmark = pytest.mark.integration
PB, SERVICES = modules()
NOT_FOUND = grpc.StatusCode.NOT_FOUND
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT


Stores = tuple[OwnershipRepository, UserRepository]


@pytest.fixture
async def memory_repo() -> Stores:
    users = MemoryUserRepository()
    return MemoryOwnershipRepository(users), users


@pytest.fixture
async def postgres_repo(pg_dsn: str) -> AsyncIterator[Stores]:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=4)
    try:
        folders = [Path("functions/users/migrations"), Path("functions/character/migrations")]
        await migrate(pool, folders)
        yield PostgresOwnershipRepository(pool), PostgresUserRepository(pool)
    finally:
        await pool.close()


@pytest.fixture(params=["memory", "postgres"])
def stores(request: pytest.FixtureRequest) -> Stores:
    found: Stores = request.getfixturevalue(f"{request.param}_repo")
    return found


@pytest.fixture
def repo(stores: Stores) -> OwnershipRepository:
    return stores[0]


@pytest.fixture
async def stub(repo: OwnershipRepository) -> AsyncIterator[Any]:
    from functions.character.grpc_server import start_server  # noqa: PLC0415

    server = await start_server(repo, default_catalog(), "127.0.0.1", 0)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            yield SERVICES.CharacterServiceStub(channel)
    finally:
        await server.stop(0)


async def status_of(call: Any) -> Any:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value.code(), caught.value.details()


async def test_catalog_queries(stub: Any) -> None:
    catalog = await stub.ListCatalog(PB.ListCatalogRequest())
    assert len(catalog.characters) == 13
    assert (catalog.characters[0].code, catalog.characters[0].name) == ("char-eco", "이코")
    assert catalog.characters[0].is_default and not catalog.characters[0].middle_category
    paepy = await stub.GetCharacter(PB.GetCharacterRequest(code="char-paepy"))
    assert (paepy.name, paepy.middle_category) == ("페이피", "종이")
    earned = await stub.CharacterForCategory(PB.CharacterForCategoryRequest(middle_category="전지"))
    assert earned.code == "char-battery" and earned.name == "배리"
    missing = stub.GetCharacter(PB.GetCharacterRequest(code="char-nope"))
    assert await status_of(missing) == (NOT_FOUND, "no character with code 'char-nope'")
    general = PB.CharacterForCategoryRequest(middle_category="일반종량제폐기물")
    assert (await status_of(stub.CharacterForCategory(general)))[0] is NOT_FOUND


async def test_ownership_queries(stub: Any, repo: OwnershipRepository, stores: Stores) -> None:
    user = await existing_user(stores[1])
    owns_paepy = PB.OwnsRequest(user_id=user, code="char-paepy")
    assert (await stub.Owns(owns_paepy)).owns is False
    assert (await stub.Owns(PB.OwnsRequest(user_id=user, code="char-eco"))).owns is True
    await repo.grant(user, "char-paepy", "job-7")
    assert (await stub.Owns(owns_paepy)).owns is True
    owned = (await stub.ListOwned(PB.ListOwnedRequest(user_id=user))).characters
    assert [o.character.code for o in owned] == ["char-eco", "char-paepy"]  # 이코 first
    assert owned[0].source == "default"  # 이코 granted on this first read
    assert owned[1].source == "job-7" and owned[1].acquired_at.seconds > 0
    assert owned[0].acquired_at.ToDatetime() > owned[1].acquired_at.ToDatetime()
    other = await stub.ListOwned(PB.ListOwnedRequest(user_id=await existing_user(stores[1])))
    assert [o.character.code for o in other.characters] == ["char-eco"]
    nobody = stub.ListOwned(PB.ListOwnedRequest(user_id=str(uuid.uuid4())))
    assert (await status_of(nobody))[0] is NOT_FOUND  # no such user: nothing to list


async def test_bad_arguments_have_proper_status_codes(stub: Any) -> None:
    bad_user = await status_of(stub.ListOwned(PB.ListOwnedRequest(user_id="42")))
    assert bad_user == (INVALID_ARGUMENT, "user id '42' is not a UUID")
    empty = await status_of(stub.Owns(PB.OwnsRequest(user_id="", code="char-eco")))
    assert empty[0] is INVALID_ARGUMENT
    unknown = PB.OwnsRequest(user_id=str(uuid.uuid4()), code="char-nope")
    assert (await status_of(stub.Owns(unknown)))[0] is NOT_FOUND


async def test_the_mesh_serves_grpc_only_when_a_port_is_set() -> None:
    registry = build_registry(modules=("functions.kit.functions", "functions.character.functions"))
    off = Mesh(Settings(mode="embedded"), registry)
    await off.start()
    assert off.grpc is None
    await off.close()
    mesh = Mesh(Settings(mode="embedded", grpc_port=0), registry)
    await mesh.start()
    address = f"127.0.0.1:{mesh.grpc.port}"
    async with grpc.aio.insecure_channel(address) as channel:
        stub = SERVICES.CharacterServiceStub(channel)
        assert len((await stub.ListCatalog(PB.ListCatalogRequest())).characters) == 13
        await mesh.close()  # stops the server with the rest of the runtime
        call = stub.ListCatalog(PB.ListCatalogRequest(), timeout=2)
        assert (await status_of(call))[0] in {
            grpc.StatusCode.UNAVAILABLE,
            grpc.StatusCode.DEADLINE_EXCEEDED,
        }
