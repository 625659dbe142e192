"""waste_rag's source today: the scan knowledge base's item lookup and rule engine.

A simple lookup behind the `WasteKnowledge` port: the Korean retriever being built for
waste_rag (tokenisation + BM25, issue 10 point 7) replaces `match_hint` here without the
graph noticing."""

from __future__ import annotations

from functions.chat.ports import Context
from functions.scan.knowledge.engine import RuleEngine
from functions.scan.knowledge.model import KnowledgeBase


class KnowledgeBaseLookup:
    def __init__(self, kb: KnowledgeBase, engine: RuleEngine) -> None:
        self._kb = kb
        self._engine = engine

    async def lookup(self, text: str) -> Context | None:
        item = self._kb.match_hint(text)
        if item is None:
            return None
        tags = self._kb.tags_in_hint(text)
        outcome = self._engine.apply(item.major, item.middle, item.name, tags)
        document = outcome.document
        return {
            "item": item.name,
            "major": outcome.major,
            "middle": outcome.middle,
            "rule": document.display_name if document else outcome.middle,
            "steps": list(outcome.disposal_steps),
            "insufficiencies": list(outcome.insufficiencies),
            "situation_tags": list(outcome.applied_tags),
        }
