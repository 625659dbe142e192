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
    """What a user owns: 이코 first, then the rest oldest first.

    이코 is included even if the welcome event is still in flight: it is granted idempotently
    on read (one extra write, the first time only), so the answer never depends on how far
    the sign-up event has travelled, nor on whether a scan reward overtook it. A code no longer
    in the catalog (a retired character) is left out rather than failing the whole list.
    """
    user = parse_user_id(user_id)
    owned = await repo.list_for(user)
    if not any(o.character_code == DEFAULT_CODE for o in owned):
        await repo.grant(user, DEFAULT_CODE, DEFAULT_SOURCE)
        owned = await repo.list_for(user)
    known = [
        OwnedCharacter(catalog.get(o.character_code), o)
        for o in owned
        if o.character_code in catalog
    ]
    return sorted(known, key=lambda o: not o.character.is_default)  # stable: keeps age order


async def owns(
    repo: OwnershipRepository, catalog: CharacterCatalog, user_id: str, code: str
) -> bool:
    """Whether the user owns `code`; 이코 is owned by definition, without a write."""
    user = parse_user_id(user_id)
    character = catalog.get(code)
    if character.is_default:
        return True
    return await repo.owns(user, character.code)
