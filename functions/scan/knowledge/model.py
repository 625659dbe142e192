"""The knowledge base's pure model: items, situation tags, rule documents, and the lookups the
scan stages and the categories endpoint need. No I/O here (see `loader.py`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.scan.knowledge.taxonomy import (
    MAJORS,
    RECYCLABLE,
    RECYCLABLE_MIDDLES,
    UNCLASSIFIED,
    category_of,
)

TagKind = Literal["insufficiency", "caution", "reroute"]
# The pictograms the client may show above the steps (a closed set, so a typo fails loading).
IconStep = Literal[
    "비우고",
    "헹구고",
    "떼고",
    "분리하고",
    "섞지않고",
    "펴고",
    "말리고",
    "묶고",
    "찌그러뜨리고",
    "닫고",
    "싸고",
    "모으고",
    "물기빼고",
    "신고하고",
    "붙이고",
    "예약하고",
]
_SEPARATORS = str.maketrans("", "", "-_·")


def match_key(text: str) -> str:
    """The form names and free text are compared in: no whitespace or -_· separators, Latin
    letters case-folded ("우유 팩" and "우유팩", "PET병" and "pet병" are the same key)."""
    return "".join(text.split()).translate(_SEPARATORS).casefold()


def _keys(phrases: Iterable[str]) -> tuple[str, ...]:
    return tuple(key for key in map(match_key, phrases) if key)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Item(_Frozen):
    """One `minor_category`: what people call it and where it belongs."""

    name: str = Field(min_length=1)
    major: str
    middle: str
    synonyms: tuple[str, ...] = ()
    subgroup: str | None = None
    note: str | None = None


class SituationTag(_Frozen):
    """Something the photo shows about the item's state, and what it changes.

    `keywords` are short phrases that signal the tag in a user's own words ("라벨 붙은"), and
    `cleared_by` phrases say it was already fixed ("라벨 뗐"): see `KnowledgeBase.tags_in_hint`.
    """

    code: str = Field(min_length=1)
    label: str = Field(min_length=1)
    kind: TagKind
    insufficiency: str | None = None
    steps: tuple[str, ...] = ()
    applies_to: tuple[str, ...] = ()  # majors or recyclable middles; empty = every category
    reroute_to: str | None = None
    keywords: tuple[str, ...] = ()
    cleared_by: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> SituationTag:
        if self.kind == "insufficiency" and not (self.insufficiency and self.steps):
            raise ValueError("an insufficiency tag needs its insufficiency text and a fix step")
        if self.kind != "insufficiency" and self.insufficiency is not None:
            raise ValueError("only an insufficiency tag has an insufficiency text")
        if self.kind == "caution" and not self.steps:
            raise ValueError("a caution tag needs at least one step")
        if (self.kind == "reroute") != (self.reroute_to is not None):
            raise ValueError("reroute_to is required for, and only for, a reroute tag")
        return self

    def applies(self, major: str, middle: str) -> bool:
        return not self.applies_to or major in self.applies_to or middle in self.applies_to


class Subgroup(_Frozen):
    targets: tuple[str, ...] = ()
    steps: tuple[str, ...] = Field(min_length=1)


class NotAccepted(_Frozen):
    item: str = Field(min_length=1)
    instead: str  # a major, or a recyclable middle
    reason: str = Field(min_length=1)


class RuleDocument(_Frozen):
    """How one middle category (recyclables) or one major (the rest) is disposed of."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    major: str
    middle: str
    display_name: str = Field(min_length=1)
    targets: tuple[str, ...] = Field(min_length=1)
    steps: tuple[str, ...] = Field(min_length=1)
    subgroups: dict[str, Subgroup] = {}
    not_accepted: tuple[NotAccepted, ...] = ()
    icon_steps: tuple[IconStep, ...] = ()
    notes: tuple[str, ...] = ()

    def as_contract(self) -> dict[str, Any]:
        """`pipeline_result.disposal_rules`: Korean keys, stable (docs/knowledge-base.md)."""
        return {
            "규칙키": self.key,
            "대분류": self.major,
            "중분류": self.middle,
            "이름": self.display_name,
            "대상": list(self.targets),
            "배출방법": list(self.steps),
            "세부분류": {
                name: {"대상": list(group.targets), "배출방법": list(group.steps)}
                for name, group in self.subgroups.items()
            },
            "배출불가": [
                {"품목": n.item, "배출처": n.instead, "이유": n.reason} for n in self.not_accepted
            ],
            "아이콘": list(self.icon_steps),
            "참고": list(self.notes),
        }


class KnowledgeBase:
    """The validated knowledge, indexed for lookups. Build it with `loader.load_knowledge`,
    which checks the invariants these indexes rely on (unique names, one document per
    category, synonyms that name one item)."""

    def __init__(
        self,
        items: Iterable[Item],
        tags: Iterable[SituationTag],
        rules: Iterable[RuleDocument],
    ) -> None:
        self.items: tuple[Item, ...] = tuple(items)
        self.tags: Mapping[str, SituationTag] = MappingProxyType({t.code: t for t in tags})
        self.rules: Mapping[str, RuleDocument] = MappingProxyType({r.key: r for r in rules})
        self._by_name = {i.name: i for i in self.items}
        self._by_category = {(r.major, r.middle): r for r in self.rules.values()}
        keys: dict[str, Item] = {}
        for item in self.items:
            for word in (item.name, *item.synonyms):
                keys.setdefault(match_key(word), item)
        self._by_key = keys
        # Empty keys are dropped: "" is inside every text (validation rejects them anyway).
        self._tag_phrases = tuple(
            (code, _keys(tag.keywords), _keys(tag.cleared_by)) for code, tag in self.tags.items()
        )

    def item(self, name: str) -> Item | None:
        """The item with exactly this name (a `minor_category`)."""
        return self._by_name.get(name)

    def resolve(self, term: str) -> Item | None:
        """The item a whole term names: its name or one of its synonyms, spacing and Latin
        case aside ("우유곽" → 우유팩). No searching inside a text: free text is the
        retriever's (`retrieval.Retriever`)."""
        return self._by_key.get(match_key(term))

    def tags_in_hint(self, text: str) -> tuple[str, ...]:
        """The situation tags a user's own words signal, in `tags.yaml` order. A tag counts
        when one of its keywords is in the text and none of its `cleared_by` phrases is
        ("라벨 붙은 생수병" → 라벨_부착, "라벨 뗐어요" → nothing). Compared as substrings of
        the text, spacing, separators and Latin case aside (`match_key`)."""
        haystack = match_key(text)
        if not haystack:
            return ()
        return tuple(
            code
            for code, keywords, cleared in self._tag_phrases
            if any(k in haystack for k in keywords) and not any(c in haystack for c in cleared)
        )

    def rule_for(self, major: str, middle: str) -> RuleDocument | None:
        """Recyclables by middle, the other majors by major; 미분류 has none."""
        if major == UNCLASSIFIED:
            return None
        if major == RECYCLABLE:
            return self._by_category.get((RECYCLABLE, middle))
        return self._by_category.get(category_of(major))

    def tag_codes(self) -> tuple[str, ...]:
        return tuple(self.tags)

    def categories(self) -> list[dict[str, Any]]:
        """GET /api/v1/scan/categories: majors in taxonomy order, their middles with the
        display name and the item names; 미분류 last, with no middles."""
        result: list[dict[str, Any]] = []
        for major in MAJORS:
            middles = () if major == UNCLASSIFIED else self._middles_of(major)
            entries = [self._category_entry(major, middle) for middle in middles]
            result.append({"major_category": major, "middle_categories": entries})
        return result

    @staticmethod
    def _middles_of(major: str) -> tuple[str, ...]:
        return RECYCLABLE_MIDDLES if major == RECYCLABLE else (major,)

    def _category_entry(self, major: str, middle: str) -> dict[str, Any]:
        document = self.rule_for(major, middle)
        return {
            "middle_category": middle,
            "display_name": document.display_name if document else middle,
            "items": [i.name for i in self.items if (i.major, i.middle) == (major, middle)],
        }
