"""The users domain's port: where users and their social accounts are kept."""

from __future__ import annotations

from typing import Protocol

from functions.users.model import SocialProfile, User


class UserRepository(Protocol):
    async def upsert_social(self, profile: SocialProfile) -> tuple[User, bool]:
        """The user owning this social account, created on its first login (True).

        Concurrent first logins of one account must create exactly one user.
        """
        ...

    async def get(self, user_id: str) -> User | None: ...

    async def update_nickname(self, user_id: str, nickname: str) -> User | None:
        """Set an already validated nickname; None when the user does not exist."""
        ...

    async def mark_announced(self, user_id: str) -> None:
        """Record that users.signed_up went out, so later logins do not publish it again."""
        ...
