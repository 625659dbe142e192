"""Users that exist: every ownership references one (a foreign key in PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

from functions.users.model import SocialProfile
from functions.users.ports import UserRepository


async def existing_user(users: UserRepository) -> str:
    """A user created as a first login would create it; returns its id."""
    profile = SocialProfile(provider="dev", provider_user_id=str(uuid.uuid4()))
    created, _ = await users.upsert_social(profile)
    return created.id


async def mesh_user(mesh: Any) -> str:
    """A user in a started mesh's own users repository."""
    assert mesh.runtime is not None
    return await existing_user(await mesh.runtime.container.get("users_repository"))
