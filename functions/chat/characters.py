"""The character sub-agent's source: the character domain's own use cases, in process.

The issue names the internal gRPC CharacterService; the chat function calls the same service
functions the gRPC server wraps (`functions.character.services`), with the adapters the
character domain's wiring builds — one hop less, the same answers. A character is "mentioned"
by its name, or by the middle category of an item the message names."""

from __future__ import annotations

from functions.character.model import CharacterCatalog
from functions.character.ports import OwnershipRepository
from functions.character.services import owned_characters
from functions.chat.ports import Context
from functions.kit.errors import BadRequestError, NotFoundError
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.knowledge.retrieval import retriever_for


class CharacterService:
    def __init__(
        self, catalog: CharacterCatalog, ownerships: OwnershipRepository, kb: KnowledgeBase
    ) -> None:
        self._catalog = catalog
        self._ownerships = ownerships
        self._kb = kb

    async def describe(self, user_id: str, text: str) -> Context | None:
        try:
            owned = [o.character.name for o in await owned_characters(
                self._ownerships, self._catalog, user_id)]  # fmt: skip
        except (BadRequestError, NotFoundError):  # not a user the character domain knows
            owned = []
        found = next((c for c in self._catalog if c.name in text), None)
        if found is None:
            best = retriever_for(self._kb).best(text)
            found = next(
                (c for c in self._catalog if best and c.middle_category == best.middle), None
            )
        mentioned = None
        if found is not None:
            mentioned = {"name": found.name, "type": found.type, "dialog": found.dialog,
                         "earned_by": found.middle_category}  # fmt: skip
        return {"owned": owned or [self._catalog.default.name], "mentioned": mentioned}
