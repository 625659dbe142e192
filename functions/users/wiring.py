"""Providers of the users domain's adapters; only the chosen mode's driver is imported."""

from __future__ import annotations

from functions.kit.container import Container
from functions.users.ports import UserRepository


async def users_repository(container: Container) -> UserRepository:
    if container.settings.mode == "embedded":
        from functions.users.memory_users import MemoryUserRepository  # noqa: PLC0415

        return MemoryUserRepository()
    from functions.users.postgres_users import PostgresUserRepository  # noqa: PLC0415

    return PostgresUserRepository(await container.pg_pool())
