"""The offline vision as it was before the Korean retriever (ADR 0016), kept only so the
evaluation can report the "before" figure: the longest item name or synonym found anywhere in
the spacing-free text wins, ties to the earlier item, and the tags come from the raw text.
It gave false hits such as "바지락 껍데기" → 헌옷 (through 바지)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.scan.knowledge.model import Item, KnowledgeBase, match_key
from functions.scan.knowledge.taxonomy import UNCLASSIFIED


def match(kb: KnowledgeBase, text: str) -> Item | None:
    keys: dict[str, Item] = {}
    for item in kb.items:
        for word in (item.name, *item.synonyms):
            keys.setdefault(match_key(word), item)
    order = {item.name: index for index, item in enumerate(kb.items)}
    hints = sorted(keys.items(), key=lambda kv: (-len(kv[0]), order[kv[1].name]))
    haystack = match_key(text)
    if not haystack:
        return None
    return next((item for key, item in hints if key in haystack), None)


def vision(kb: KnowledgeBase, text: str) -> Mapping[str, Any]:
    """What the old offline provider answered for a note."""
    item = match(kb, text)
    if item is None:
        return {
            "major_category": UNCLASSIFIED,
            "middle_category": UNCLASSIFIED,
            "minor_category": UNCLASSIFIED,
            "situation_tags": [],
        }
    return {
        "major_category": item.major,
        "middle_category": item.middle,
        "minor_category": item.name,
        "situation_tags": list(kb.tags_in_hint(text)),
    }
