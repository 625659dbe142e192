"""Ownership in PostgreSQL (asyncpg), with the (user, character) primary key as the guard.

A grant is one `INSERT … ON CONFLICT DO NOTHING RETURNING`: under READ COMMITTED a concurrent
insert of the same pair makes this one wait for it and then do nothing, so of N racing grants
exactly one gets a row back. The losers read the winner's row in a second statement (a new
snapshot, which sees the committed row; a CTE in the same statement would not).
"""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs shipped

from functions.character.model import Ownership, UnknownUserError
from functions.kit.errors import UnavailableError
from functions.kit.pg_outage import retry_on_outage

_COLUMNS = "user_id, character_code, source, acquired_at"
_INSERT = f"""
INSERT INTO character_ownership (user_id, character_code, source) VALUES ($1, $2, $3)
ON CONFLICT (user_id, character_code) DO NOTHING
RETURNING {_COLUMNS}
"""
_ONE = f"SELECT {_COLUMNS} FROM character_ownership WHERE user_id = $1 AND character_code = $2"
_ALL = f"""
SELECT {_COLUMNS} FROM character_ownership WHERE user_id = $1
ORDER BY acquired_at, character_code
"""
_OWNS = (
    "SELECT EXISTS (SELECT 1 FROM character_ownership WHERE user_id = $1 AND character_code = $2)"
)


def _ownership(row: Any) -> Ownership:
    return Ownership(
        user_id=str(row["user_id"]),
        character_code=row["character_code"],
        acquired_at=row["acquired_at"],
        source=row["source"],
    )


class PostgresOwnershipRepository:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def grant(self, user_id: str, code: str, source: str) -> tuple[Ownership, bool]:
        with retry_on_outage():
            async with self._pool.acquire() as conn:
                try:
                    inserted = await conn.fetchrow(_INSERT, user_id, code, source)
                except asyncpg.ForeignKeyViolationError:
                    raise UnknownUserError(f"user {user_id} does not exist") from None
                if inserted is not None:
                    return _ownership(inserted), True
                existing = await conn.fetchrow(_ONE, user_id, code)
        if existing is None:  # rows are never deleted, so the conflicting row is still there
            raise UnavailableError(f"ownership of {code} by {user_id} vanished during a grant")
        return _ownership(existing), False

    async def list_for(self, user_id: str) -> list[Ownership]:
        with retry_on_outage():
            rows = await self._pool.fetch(_ALL, user_id)
        return [_ownership(r) for r in rows]

    async def owns(self, user_id: str, code: str) -> bool:
        with retry_on_outage():
            found: bool = await self._pool.fetchval(_OWNS, user_id, code)
        return found
