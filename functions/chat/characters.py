"""The character sub-agent's source: what the user owns and which character the message is
about, read from the character domain through `CharacterDirectory` (gRPC when deployed, in
process otherwise: `character_grpc.py`, `character_local.py`).

A character is "mentioned" by its name, or by the middle category of an item the message
names (the scan knowledge base's retriever, which the chat has in process anyway)."""

from __future__ import annotations

from functions.chat.errors import CharacterNotFound
from functions.chat.ports import CharacterCard, CharacterDirectory, Context
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.knowledge.retrieval import retriever_for


class CharacterGuide:
    def __init__(self, directory: CharacterDirectory, kb: KnowledgeBase) -> None:
        self._directory = directory
        self._kb = kb

    async def describe(self, user_id: str, text: str) -> Context | None:
        catalog = await self._directory.catalog()
        try:
            owned = [c.name for c in await self._directory.owned(user_id)]
        except CharacterNotFound:  # not a user the character domain knows: the default only
            owned = []
        default = next((c.name for c in catalog if c.is_default), None)
        found = self._mentioned(catalog, text)
        mentioned = None
        if found is not None:
            mentioned = {"name": found.name, "type": found.type, "dialog": found.dialog,
                         "earned_by": found.middle_category}  # fmt: skip
        return {"owned": owned or ([default] if default else []), "mentioned": mentioned}

    def _mentioned(self, catalog: list[CharacterCard], text: str) -> CharacterCard | None:
        found = next((c for c in catalog if c.name in text), None)
        if found is None:
            best = retriever_for(self._kb).best(text)
            found = next((c for c in catalog if best and c.middle_category == best.middle), None)
        return found
