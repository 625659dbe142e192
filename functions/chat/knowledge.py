"""waste_rag's source: the Korean retriever over the scan knowledge base, then its rule engine.

Behind the `WasteKnowledge` port: the retriever (tokenisation-free Korean matching + BM25,
ADR 0016) finds the item or rule document the user means, misspellings and particles
included, and the rule engine gives its steps for the situation the text describes."""

from __future__ import annotations

from functions.chat.ports import Context
from functions.scan.knowledge.engine import RuleEngine
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.knowledge.retrieval import retriever_for


def offline_item(kb: KnowledgeBase, text: str) -> str:
    """The item (or rule document) a text names, for the offline provider's rules; "" if none."""
    best = retriever_for(kb).best(text)
    if best is None:
        return ""
    document = kb.rule_for(best.major, best.middle)
    return best.item.name if best.item else document.display_name if document else best.middle


class KnowledgeBaseLookup:
    def __init__(self, kb: KnowledgeBase, engine: RuleEngine) -> None:
        self._kb = kb
        self._engine = engine

    async def lookup(self, text: str) -> Context | None:
        found = retriever_for(self._kb).search(text, limit=1)
        best = found.best
        if best is None:
            return None
        item = best.item.name if best.item else None
        outcome = self._engine.apply(best.major, best.middle, item, found.tags)
        document = outcome.document
        return {
            "item": item or (document.display_name if document else outcome.middle),
            "major": outcome.major,
            "middle": outcome.middle,
            "rule": document.display_name if document else outcome.middle,
            "steps": list(outcome.disposal_steps),
            "insufficiencies": list(outcome.insufficiencies),
            "situation_tags": list(outcome.applied_tags),
        }
