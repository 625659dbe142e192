"""The ownership repository contract, on memory and on real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from functions.character.memory_ownership import MemoryOwnershipRepository
from functions.character.model import UnknownUserError
from functions.character.ports import OwnershipRepository
from functions.character.postgres_ownership import PostgresOwnershipRepository
from functions.kit.migrations import migrate
from functions.users.memory_users import MemoryUserRepository
from functions.users.model import SocialProfile
from functions.users.ports import UserRepository
from functions.users.postgres_users import PostgresUserRepository

# Ownerships reference users: the users domain's migrations come first.
MIGRATIONS = [Path("functions/users/migrations"), Path("functions/character/migrations")]
Stores = tuple[OwnershipRepository, UserRepository]


@pytest.fixture
def memory_repo() -> Stores:
    users = MemoryUserRepository()
    return MemoryOwnershipRepository(users), users


@pytest.fixture
async def postgres_repo(pg_dsn: str) -> AsyncIterator[Stores]:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=10)
    try:
        await migrate(pool, MIGRATIONS)
        yield PostgresOwnershipRepository(pool), PostgresUserRepository(pool)
    finally:
        await pool.close()


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def stores(request: pytest.FixtureRequest) -> Stores:
    found: Stores = request.getfixturevalue(f"{request.param}_repo")
    return found


@pytest.fixture
def repo(stores: Stores) -> OwnershipRepository:
    return stores[0]


@pytest.fixture
def new_user(stores: Stores) -> Callable[[], Awaitable[str]]:
    """A user that exists (logged in once), as every grant's user must."""

    async def make() -> str:
        profile = SocialProfile(provider="dev", provider_user_id=str(uuid.uuid4()))
        created, _ = await stores[1].upsert_social(profile)
        return created.id

    return make


NewUser = Callable[[], Awaitable[str]]


async def test_a_grant_for_a_user_that_does_not_exist_stores_nothing(
    repo: OwnershipRepository,
) -> None:
    ghost = str(uuid.uuid4())
    with pytest.raises(UnknownUserError):
        await repo.grant(ghost, "char-paepy", "forged")
    assert await repo.list_for(ghost) == []
    assert await repo.owns(ghost, "char-paepy") is False


async def test_first_grant_creates_and_a_repeat_changes_nothing(
    repo: OwnershipRepository, new_user: NewUser
) -> None:
    alice = await new_user()
    first, created = await repo.grant(alice, "char-paepy", "job-1")
    assert created is True
    assert (first.user_id, first.character_code, first.source) == (alice, "char-paepy", "job-1")
    again, created_again = await repo.grant(alice, "char-paepy", "job-2")
    assert created_again is False
    assert again == first  # the original grant holds: same time, same source
    assert await repo.list_for(alice) == [first]


async def test_concurrent_grants_of_one_pair_have_one_winner(
    repo: OwnershipRepository, new_user: NewUser
) -> None:
    alice = await new_user()
    results = await asyncio.gather(
        *(repo.grant(alice, "char-petty", f"job-{i}") for i in range(50))
    )
    assert [created for _, created in results].count(True) == 1
    assert len({ownership for ownership, _ in results}) == 1  # everyone sees the winner's row
    assert len(await repo.list_for(alice)) == 1


async def test_lists_only_the_users_own_oldest_first(
    repo: OwnershipRepository, new_user: NewUser
) -> None:
    alice, bob = await new_user(), await new_user()
    await repo.grant(alice, "char-eco", "signup")
    await repo.grant(bob, "char-eco", "signup")
    await repo.grant(alice, "char-glassy", "job-1")
    mine = await repo.list_for(alice)
    assert [o.character_code for o in mine] == ["char-eco", "char-glassy"]
    assert mine[0].acquired_at <= mine[1].acquired_at
    assert all(o.user_id == alice for o in mine)
    assert [o.character_code for o in await repo.list_for(bob)] == ["char-eco"]
    assert await repo.list_for(await new_user()) == []


async def test_owns(repo: OwnershipRepository, new_user: NewUser) -> None:
    alice, bob = await new_user(), await new_user()
    await repo.grant(alice, "char-bini", "job-1")
    assert await repo.owns(alice, "char-bini") is True
    assert await repo.owns(alice, "char-plea") is False
    assert await repo.owns(bob, "char-bini") is False
