"""Ownership in process memory: the embedded default, lost when the process ends."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.character.model import Ownership, UnknownUserError
from functions.character.ports import UserDirectory


class MemoryOwnershipRepository:
    """Check-and-insert has no await in between, so it is atomic on the event loop: the
    same guarantee the UNIQUE constraint gives the PostgreSQL adapter. Users are looked up
    in `users`, as the foreign key does there."""

    def __init__(self, users: UserDirectory) -> None:
        self._rows: dict[tuple[str, str], Ownership] = {}
        self._users = users

    async def grant(self, user_id: str, code: str, source: str) -> tuple[Ownership, bool]:
        if (user_id, code) not in self._rows and await self._users.get(user_id) is None:
            raise UnknownUserError(f"user {user_id} does not exist")
        existing = self._rows.get((user_id, code))
        if existing is not None:
            return existing, False
        row = Ownership(user_id, code, datetime.now(UTC), source)
        self._rows[(user_id, code)] = row
        return row, True

    async def list_for(self, user_id: str) -> list[Ownership]:
        mine = [o for (user, _), o in self._rows.items() if user == user_id]
        return sorted(mine, key=lambda o: (o.acquired_at, o.character_code))

    async def owns(self, user_id: str, code: str) -> bool:
        return (user_id, code) in self._rows
