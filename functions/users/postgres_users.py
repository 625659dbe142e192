"""Users in PostgreSQL (asyncpg); tables in functions/users/migrations.

A first login inserts the user and its social account in one transaction; the account's
primary key (provider, provider user id) decides a race between two first logins: the loser's
`ON CONFLICT DO NOTHING` finds no row, its transaction is rolled back (its user row with it)
and it reads the winner's user.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from functions.users.model import (
    SocialProfile,
    User,
    UsersUnavailableError,
    derive_nickname,
    derive_username,
)

_COLUMNS = "id, username, nickname, phone_number, email, provider, created_at, announced_at"
_FIND = f"""
WITH touched AS (
    UPDATE social_accounts SET last_login_at = now(), email = coalesce($3, email)
    WHERE provider = $1 AND provider_user_id = $2 RETURNING user_id
)
SELECT {_COLUMNS} FROM users WHERE id = (SELECT user_id FROM touched)
"""
_INSERT_USER = f"""
INSERT INTO users (id, username, nickname, phone_number, email, provider)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}
"""
_LINK = """
INSERT INTO social_accounts (provider, provider_user_id, user_id, email)
VALUES ($1, $2, $3, $4) ON CONFLICT (provider, provider_user_id) DO NOTHING RETURNING user_id
"""


class _LostRace(Exception):
    """Another first login of the same account committed first."""


@contextlib.asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    """Driver and network failures become the domain's 'unavailable' error."""
    try:
        yield
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise UsersUnavailableError(f"user store unavailable: {type(exc).__name__}") from exc


def _user(row: Any) -> User:
    return User(
        id=str(row["id"]),
        username=row["username"],
        nickname=row["nickname"],
        phone_number=row["phone_number"],
        email=row["email"],
        provider=row["provider"],
        created_at=row["created_at"],
        announced=row["announced_at"] is not None,
    )


def _uuid(user_id: str) -> uuid.UUID | None:
    """Ids come from tokens; one that is not a UUID names no user (rather than a 500)."""
    try:
        return uuid.UUID(user_id)
    except ValueError:
        return None


class PostgresUserRepository:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def upsert_social(self, profile: SocialProfile) -> tuple[User, bool]:
        key = (profile.provider, profile.provider_user_id, profile.email)
        async with _translated(), self._pool.acquire() as conn:
            row = await conn.fetchrow(_FIND, *key)
            if row is not None:
                return _user(row), False
            with contextlib.suppress(_LostRace):
                return await self._create(conn, profile), True
            row = await conn.fetchrow(_FIND, *key)
            if row is None:  # the winner's user vanished in between: nothing sane to return
                raise UsersUnavailableError("concurrent sign-up did not settle")
            return _user(row), False

    async def _create(self, conn: Any, profile: SocialProfile) -> User:
        username = derive_username(profile)
        async with conn.transaction():
            row = await conn.fetchrow(
                _INSERT_USER,
                uuid.uuid4(),
                username,
                derive_nickname(profile, username),
                profile.phone_number,
                profile.email,
                profile.provider,
            )
            linked = await conn.fetchval(
                _LINK, profile.provider, profile.provider_user_id, row["id"], profile.email
            )
            if linked is None:
                raise _LostRace  # rolls the user row back
        return _user(row)

    async def get(self, user_id: str) -> User | None:
        key = _uuid(user_id)
        if key is None:
            return None
        async with _translated():
            row = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE id = $1", key)
        return None if row is None else _user(row)

    async def update_nickname(self, user_id: str, nickname: str) -> User | None:
        key = _uuid(user_id)
        if key is None:
            return None
        async with _translated():
            row = await self._pool.fetchrow(
                f"UPDATE users SET nickname = $2, updated_at = now() WHERE id = $1 "
                f"RETURNING {_COLUMNS}",
                key,
                nickname,
            )
        return None if row is None else _user(row)

    async def mark_announced(self, user_id: str) -> None:
        key = _uuid(user_id)
        if key is None:
            return
        async with _translated():
            await self._pool.execute(
                "UPDATE users SET announced_at = coalesce(announced_at, now()) WHERE id = $1", key
            )
