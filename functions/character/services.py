"""Use cases of the character domain, shared by the event handlers, HTTP and gRPC.

Every entrypoint goes through here so that ids are checked, codes exist and 이코 is owned
the same way whichever door a request came in by.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.character.model import (
    DEFAULT_CODE,
    CharacterCatalog,
    OwnedCharacter,
    Ownership,
    parse_user_id,
)
from functions.character.ports import OwnershipRepository

DEFAULT_SOURCE = "default"  # 이코 given on first read, before the sign-up event arrived


@dataclass(frozen=True, slots=True)
class Granted:
    ownership: Ownership
    newly_granted: bool


async def grant(
    repo: OwnershipRepository, catalog: CharacterCatalog, user_id: str, code: str, source: str
) -> Granted:
    """Give a character; a repeat (retry, redelivery, duplicate request) changes nothing.

    An unknown code or a malformed user id raises a BadRequestError before anything is
    written, so the event carrying it is dead-lettered with that cause rather than retried.
    """
    user = parse_user_id(user_id)
    character = catalog.get(code)
    ownership, created = await repo.grant(user, character.code, source)
    return Granted(ownership, created)


async def owned_characters(
    repo: OwnershipRepository, catalog: CharacterCatalog, user_id: str
) -> list[OwnedCharacter]:
    """What a user owns, 이코 included even if their welcome event is still in flight.

    The default is granted idempotently on read (one extra write, only the first time), so
    the answer never depends on how far the sign-up event has travelled.
    """
    user = parse_user_id(user_id)
    owned = await repo.list_for(user)
    if not any(o.character_code == DEFAULT_CODE for o in owned):
        await repo.grant(user, DEFAULT_CODE, DEFAULT_SOURCE)
        owned = await repo.list_for(user)
    return [
        OwnedCharacter(catalog.get(o.character_code), o)
        for o in owned
        if o.character_code in catalog
    ]


async def owns(
    repo: OwnershipRepository, catalog: CharacterCatalog, user_id: str, code: str
) -> bool:
    """Whether the user owns `code`; 이코 is owned by definition, without a write."""
    user = parse_user_id(user_id)
    character = catalog.get(code)
    if character.is_default:
        return True
    return await repo.owns(user, character.code)
