"""The user repository contract, on memory and on real PostgreSQL (migrations applied)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from functions.kit.migrations import migrate
from functions.users.memory_users import MemoryUserRepository
from functions.users.model import SocialProfile
from functions.users.ports import UserRepository
from functions.users.postgres_users import PostgresUserRepository

MIGRATIONS = [Path("functions/users/migrations")]
KAKAO = SocialProfile("kakao", "3141592653", "eco@kakao.com", "에코지킴이", "+82 10-1234-5678")


@pytest.fixture
async def pg_pool(pg_dsn: str) -> AsyncIterator[Any]:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=12)
    await migrate(pool, MIGRATIONS)
    yield pool
    await pool.close()


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def users(request: pytest.FixtureRequest) -> UserRepository:
    if request.param == "memory":
        return MemoryUserRepository()
    return PostgresUserRepository(request.getfixturevalue("pg_pool"))


async def test_first_login_creates_the_user_later_logins_find_it(users: UserRepository) -> None:
    created, is_new = await users.upsert_social(KAKAO)
    assert is_new is True
    assert (created.username, created.nickname) == ("eco", "에코지킴이")
    assert (created.provider, created.email, created.phone_number) == (
        "kakao", "eco@kakao.com", "+82 10-1234-5678",
    )  # fmt: skip
    assert created.announced is False and uuid.UUID(created.id)
    again, is_new = await users.upsert_social(KAKAO)
    assert is_new is False and again.id == created.id
    assert await users.get(created.id) == again


async def test_the_same_provider_id_on_another_provider_is_another_user(
    users: UserRepository,
) -> None:
    kakao, _ = await users.upsert_social(KAKAO)
    naver, is_new = await users.upsert_social(SocialProfile("naver", "3141592653"))
    assert is_new and naver.id != kakao.id


@pytest.mark.parametrize(
    ("profile", "username"),
    [
        (SocialProfile("google", "1098", "minji.kim@gmail.com", "김민지"), "minji.kim"),
        (SocialProfile("naver", "AbC_1", None, "분리수거왕"), "naver_AbC_1"),
        (SocialProfile("kakao", "42", "한글@kakao.com", None), "kakao_42"),
        (SocialProfile("dev", "dev-x", "", "   "), "dev_dev-x"),
    ],
)
async def test_username_is_never_empty(
    users: UserRepository, profile: SocialProfile, username: str
) -> None:
    user, _ = await users.upsert_social(profile)
    assert user.username == username
    assert user.nickname  # falls back to the username when the provider gives none


async def test_concurrent_first_logins_create_one_user(users: UserRepository) -> None:
    results = await asyncio.gather(*(users.upsert_social(KAKAO) for _ in range(10)))
    assert len({user.id for user, _ in results}) == 1
    assert [is_new for _, is_new in results].count(True) == 1


async def test_nickname_changes_and_nothing_else(users: UserRepository) -> None:
    user, _ = await users.upsert_social(KAKAO)
    renamed = await users.update_nickname(user.id, "새이름")
    assert renamed is not None and renamed.nickname == "새이름"
    assert (renamed.username, renamed.email, renamed.phone_number) == (
        user.username, user.email, user.phone_number,
    )  # fmt: skip
    relogin, _ = await users.upsert_social(KAKAO)
    assert relogin.nickname == "새이름"  # a later login does not overwrite the user's choice


async def test_unknown_users(users: UserRepository) -> None:
    missing = str(uuid.uuid4())
    assert await users.get(missing) is None
    assert await users.update_nickname(missing, "x") is None
    assert await users.get("not-a-uuid") is None  # ids come from headers: never a 500
    await users.mark_announced("not-a-uuid")


async def test_announcement_is_remembered(users: UserRepository) -> None:
    user, _ = await users.upsert_social(KAKAO)
    await users.mark_announced(user.id)
    found = await users.get(user.id)
    assert found is not None and found.announced
    again, _ = await users.upsert_social(KAKAO)
    assert again.announced


@pytest.mark.integration
async def test_postgres_enforces_one_user_per_social_account(pg_pool: Any) -> None:
    repo = PostgresUserRepository(pg_pool)
    user, _ = await repo.upsert_social(KAKAO)
    with pytest.raises(asyncpg.UniqueViolationError):
        await pg_pool.execute(
            "INSERT INTO social_accounts (provider, provider_user_id, user_id) VALUES ($1, $2, $3)",
            "kakao", "3141592653", uuid.UUID(user.id),
        )  # fmt: skip
    with pytest.raises(asyncpg.CheckViolationError):
        await pg_pool.execute("UPDATE users SET username = '' WHERE id = $1", uuid.UUID(user.id))
    assert await pg_pool.fetchval("SELECT count(*) FROM users") == 1
