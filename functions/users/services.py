"""Use cases of the users domain, called by the users API and by the auth callback."""

from __future__ import annotations

import uuid

from eventing.events.users import UserSignedUp
from functions.kit.publisher import Publisher
from functions.users.model import SocialProfile, User, UserNotFoundError, normalize_nickname
from functions.users.ports import UserRepository

SIGNED_UP_NAMESPACE = uuid.UUID("0d6c0a53-3b8e-4a55-9a1e-5f0f6a3c2b71")


async def sign_in(users: UserRepository, publisher: Publisher, profile: SocialProfile) -> User:
    """The user behind a social login, created on the first one.

    `users.signed_up` is published until it has gone out once (not only when this call
    created the user): if publishing fails after the insert, the next login retries it. Its id
    is derived from the user id, so a retry or a concurrent login publishes the same event
    and consumers (the character grant) see it once.
    """
    user, _created = await users.upsert_social(profile)
    if not user.announced:
        await publisher.publish(
            UserSignedUp(user_id=user.id, provider=user.provider, created_at=user.created_at),
            event_id=str(uuid.uuid5(SIGNED_UP_NAMESPACE, user.id)),
            subject=f"users/{user.id}",
            partition_key=user.id,
        )
        await users.mark_announced(user.id)
    return user


async def profile_of(users: UserRepository, user_id: str) -> User:
    user = await users.get(user_id)
    if user is None:
        raise UserNotFoundError("user not found")
    return user


async def rename(users: UserRepository, user_id: str, nickname: str) -> User:
    user = await users.update_nickname(user_id, normalize_nickname(nickname))
    if user is None:
        raise UserNotFoundError("user not found")
    return user
