"""Ports of the character domain: what the handlers need from storage, as protocols."""

from __future__ import annotations

from typing import Protocol

from functions.character.model import Ownership


class UserDirectory(Protocol):
    """Whether a user exists: what the embedded adapter checks where PostgreSQL has the
    ownership table's foreign key to `users`."""

    async def get(self, user_id: str) -> object | None: ...


class OwnershipRepository(Protocol):
    """Who owns which character; at most one ownership per (user, character), ever.

    Ids passed in are already canonical (`model.parse_user_id`) and codes already checked
    against the catalog: adapters store, they do not validate.
    """

    async def grant(self, user_id: str, code: str, source: str) -> tuple[Ownership, bool]:
        """Give `code` to `user_id` unless they own it; returns the ownership that holds
        afterwards and whether this call created it. Safe under retries and concurrency:
        of any number of simultaneous grants exactly one reports `True`. A user that does not
        exist raises `UnknownUserError` and stores nothing."""
        ...

    async def list_for(self, user_id: str) -> list[Ownership]:
        """The user's ownerships, oldest first (ties by code)."""
        ...

    async def owns(self, user_id: str, code: str) -> bool: ...
