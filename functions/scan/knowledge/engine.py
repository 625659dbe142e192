"""The rule engine: a classification plus situation tags in, the rule document, the ordered
disposal steps and the insufficiencies out. Pure and deterministic (no model, no I/O).

Choices (docs/knowledge-base.md, "Rule engine"):
- An item the knowledge base knows keeps the KB's category, whatever the vision model filed it
  under: the KB is reviewed data, the model's middle category is a guess.
- Tags are taken in the knowledge base's order, not the model's, so the same set of tags
  always gives the same steps. Unknown tags, and tags that do not apply, are ignored.
- At most one reroute tag acts (the first in KB order that applies to the category as
  classified); the other tags are then judged against the category it leads to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from functions.scan.knowledge.model import Item, KnowledgeBase, RuleDocument, SituationTag
from functions.scan.knowledge.taxonomy import (
    MAJORS,
    OTHER_MAJORS,
    RECYCLABLE,
    RECYCLABLE_MIDDLES,
    UNCLASSIFIED,
    category_of,
    is_valid,
)

FALLBACK_STEPS: tuple[str, ...] = (
    "품목이 잘 보이도록 밝은 곳에서 한 가지만 다시 찍어 주세요.",
    "품목 이름을 메모로 함께 적어 주시면 더 정확히 알려 드릴게요.",
    "그래도 헷갈리면 사는 곳 구청·주민센터의 분리배출 안내를 확인해 주세요.",
)


@dataclass(frozen=True)
class RuleOutcome:
    major: str  # after the KB's item mapping and any reroute tag
    middle: str
    document: RuleDocument | None
    disposal_steps: tuple[str, ...]
    insufficiencies: tuple[str, ...]
    applied_tags: tuple[str, ...]
    ignored_tags: tuple[str, ...]


def step_dict(steps: Iterable[str]) -> dict[str, str]:
    """The contract's `disposal_steps` object: {"단계1": ..., "단계2": ...} in order."""
    return {f"단계{number}": step for number, step in enumerate(steps, start=1)}


def _unique(steps: Iterable[str]) -> tuple[str, ...]:
    """Steps in order, each once (a tag's fix step may repeat a document step: it moves up)."""
    return tuple(dict.fromkeys(steps))


class RuleEngine:
    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._order = {code: index for index, code in enumerate(kb.tags)}

    def apply(self, major: str, middle: str, minor: str | None, tags: Sequence[str]) -> RuleOutcome:
        """Never raises on what a model may invent: unknown categories are 미분류, unknown
        or inapplicable tags are returned in `ignored_tags`."""
        item = self._kb.resolve(minor) if minor else None
        major, middle = (item.major, item.middle) if item else self._category(major, middle)
        codes = self._ordered(tags)
        if major == UNCLASSIFIED:
            return RuleOutcome(UNCLASSIFIED, UNCLASSIFIED, None, FALLBACK_STEPS, (), (), codes)
        known = [self._kb.tags[c] for c in codes if c in self._kb.tags]
        reroute = next((t for t in known if t.kind == "reroute" and t.applies(major, middle)), None)
        if reroute is not None and reroute.reroute_to is not None:
            major, middle = category_of(reroute.reroute_to)
        applied = [
            t for t in known if t is reroute or (t.kind != "reroute" and t.applies(major, middle))
        ]
        document = self._kb.rule_for(major, middle)
        used = tuple(t.code for t in applied)
        return RuleOutcome(
            major=major,
            middle=middle,
            document=document,
            disposal_steps=self._steps(document, item, applied),
            insufficiencies=_unique(
                t.insufficiency for t in applied if t.insufficiency is not None
            ),
            applied_tags=used,
            ignored_tags=tuple(c for c in codes if c not in used),
        )

    @staticmethod
    def _category(major: str, middle: str) -> tuple[str, str]:
        """A lenient reading of the model's categories: a known non-recyclable major keeps
        itself as middle; a recyclable middle implies its major; anything else is 미분류."""
        if is_valid(major, middle):
            return major, middle
        if major in OTHER_MAJORS:
            return major, major
        if middle in RECYCLABLE_MIDDLES and major not in MAJORS:
            return RECYCLABLE, middle
        return UNCLASSIFIED, UNCLASSIFIED

    def _ordered(self, tags: Sequence[str]) -> tuple[str, ...]:
        """Tag codes once each, spaces read as underscores; known codes in KB order, then the
        unknown ones as given."""
        codes = _unique("_".join(t.split()) for t in tags if t and t.strip())
        known = sorted((c for c in codes if c in self._order), key=self._order.__getitem__)
        return (*known, *(c for c in codes if c not in self._order))

    @staticmethod
    def _steps(
        document: RuleDocument | None, item: Item | None, applied: Sequence[SituationTag]
    ) -> tuple[str, ...]:
        """Fix-first steps, the reroute's explanation, the body, then the cautions."""
        fixes = [s for t in applied if t.kind == "insufficiency" for s in t.steps]
        reroutes = [s for t in applied if t.kind == "reroute" for s in t.steps]
        cautions = [s for t in applied if t.kind == "caution" for s in t.steps]
        return _unique([*fixes, *reroutes, *_body(document, item), *cautions])


def _body(document: RuleDocument | None, item: Item | None) -> tuple[str, ...]:
    """The item's subgroup steps when it is in its own document, else the common steps."""
    if document is None:
        return FALLBACK_STEPS
    at_home = item is not None and (item.major, item.middle) == (document.major, document.middle)
    if at_home and item is not None and item.subgroup is not None:
        group = document.subgroups.get(item.subgroup)
        if group is not None:
            return group.steps
    return document.steps
