"""`CharacterDirectory` in process: the character domain's own use cases and adapters.

The embedded mode and the one-process mesh have the character domain loaded anyway; a
deployed chat-agent asks CharacterService over gRPC instead (`character_grpc.py`). The domain's
errors become the chat's here, at the boundary, as the gRPC adapter turns status codes into
the same ones."""

from __future__ import annotations

from functions.character.model import Character, CharacterCatalog
from functions.character.ports import OwnershipRepository
from functions.character.services import owned_characters
from functions.chat.errors import CharacterNotFound, CharacterServiceUnavailable
from functions.chat.ports import CharacterCard
from functions.kit.errors import BadRequestError, NotFoundError, UnavailableError


def card(character: Character) -> CharacterCard:
    return CharacterCard(character.code, character.name, character.type, character.dialog,
                         character.middle_category, character.is_default)  # fmt: skip


class LocalCharacterDirectory:
    def __init__(self, catalog: CharacterCatalog, ownerships: OwnershipRepository) -> None:
        self._catalog = catalog
        self._ownerships = ownerships

    async def catalog(self) -> list[CharacterCard]:
        return sorted((card(c) for c in self._catalog), key=lambda c: not c.is_default)

    async def owned(self, user_id: str) -> list[CharacterCard]:
        try:
            found = await owned_characters(self._ownerships, self._catalog, user_id)
        except (BadRequestError, NotFoundError) as exc:
            raise CharacterNotFound(str(exc)) from exc
        except UnavailableError as exc:
            raise CharacterServiceUnavailable(str(exc)) from exc
        return [card(o.character) for o in found]
