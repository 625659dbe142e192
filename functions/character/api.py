"""`GET /api/v1/users/me/characters`: the caller's characters as the PWA expects them.

A bare JSON array (the client iterates it directly), one entry per owned character, 이코
first and then oldest first; the user comes from the edge-injected `x-user-id` only (no
header → 401).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from functions.character import services
from functions.character.model import CharacterCatalog, OwnedCharacter
from functions.character.ports import OwnershipRepository
from functions.kit.identity import CurrentUser
from functions.kit.openapi import errors


class CharacterOut(BaseModel):
    id: str  # the character's id (stable, derived from its code), not the ownership's
    code: str
    name: str
    type: str
    dialog: str
    acquired_at: datetime

    @classmethod
    def of(cls, owned: OwnedCharacter) -> CharacterOut:
        character = owned.character
        return cls(
            id=character.id,
            code=character.code,
            name=character.name,
            type=character.type,
            dialog=character.dialog,
            acquired_at=owned.ownership.acquired_at,
        )


def router(
    character_ownerships: OwnershipRepository, character_catalog: CharacterCatalog
) -> APIRouter:
    """Mounted at `/api/v1/users/me/characters` (the declaration's route_prefix)."""
    api = APIRouter(tags=["characters"])

    @api.get("", response_model=list[CharacterOut], responses=errors(401))
    async def my_characters(user: CurrentUser) -> list[CharacterOut]:
        owned = await services.owned_characters(character_ownerships, character_catalog, user)
        return [CharacterOut.of(o) for o in owned]

    return api
