"""In-memory users for the embedded mode; same contract as the PostgreSQL adapter."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime

from functions.users.model import SocialProfile, User, derive_nickname, derive_username


class MemoryUserRepository:
    def __init__(self) -> None:
        self._users: dict[str, User] = {}
        self._accounts: dict[tuple[str, str], str] = {}  # (provider, provider id) -> user id
        self._lock = asyncio.Lock()

    async def upsert_social(self, profile: SocialProfile) -> tuple[User, bool]:
        key = (profile.provider, profile.provider_user_id)
        async with self._lock:  # one user per account, even under concurrent first logins
            if key in self._accounts:
                return self._users[self._accounts[key]], False
            username = derive_username(profile)
            user = User(
                id=str(uuid.uuid4()),
                username=username,
                nickname=derive_nickname(profile, username),
                phone_number=profile.phone_number,
                email=profile.email,
                provider=profile.provider,
                created_at=datetime.now(UTC),
                announced=False,
            )
            self._users[user.id] = user
            self._accounts[key] = user.id
            return user, True

    async def get(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    async def update_nickname(self, user_id: str, nickname: str) -> User | None:
        async with self._lock:
            user = self._users.get(user_id)
            if user is None:
                return None
            self._users[user_id] = dataclasses.replace(user, nickname=nickname)
            return self._users[user_id]

    async def mark_announced(self, user_id: str) -> None:
        async with self._lock:
            user = self._users.get(user_id)
            if user is not None:
                self._users[user_id] = dataclasses.replace(user, announced=True)
