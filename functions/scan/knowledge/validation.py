"""Cross-file checks of the knowledge data: each returns every problem it finds, as text a
person editing the YAML can act on. The per-record shape is pydantic's job (see `model.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from functions.scan.knowledge.model import Item, RuleDocument, SituationTag, match_key
from functions.scan.knowledge.taxonomy import (
    MAJORS,
    OTHER_MAJORS,
    RECYCLABLE,
    RECYCLABLE_MIDDLES,
    UNCLASSIFIED,
    is_destination,
    is_valid,
)

MIN_KEY_LENGTH = 2  # a one-letter synonym (못, 캔, 약) would match inside unrelated words


def category_problems(where: str, major: str, middle: str) -> list[str]:
    """Why (major, middle) is not a category the client knows, if it is not."""
    if major not in MAJORS or major == UNCLASSIFIED:
        return [f"{where}: unknown major category {major!r}"]
    if is_valid(major, middle):
        return []
    if major == RECYCLABLE:
        return [
            f"{where}: middle category {middle!r} is not in the taxonomy "
            f"(the client knows {', '.join(RECYCLABLE_MIDDLES)})"
        ]
    return [f"{where}: middle category {middle!r} must equal its major {major!r}"]


def rule_problems(rules: Sequence[RuleDocument]) -> list[str]:
    """Known categories, one document per category, every category covered."""
    problems: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    for doc in rules:
        where = f"rule {doc.key!r}"
        found = category_problems(where, doc.major, doc.middle)
        problems += found
        if found:
            continue
        other = seen.setdefault((doc.major, doc.middle), doc.key)
        if other != doc.key:
            problems.append(f"{where}: {doc.middle!r} already has the rule document {other!r}")
        problems += [
            f"{where}: not_accepted {n.item!r} goes to {n.instead!r}, which is neither a "
            "major nor a recyclable middle category"
            for n in doc.not_accepted
            if not is_destination(n.instead)
        ]
    required = [(RECYCLABLE, m) for m in RECYCLABLE_MIDDLES] + [(m, m) for m in OTHER_MAJORS]
    problems += [
        f"no rule document for {middle!r} (major {major!r})"
        for major, middle in required
        if (major, middle) not in seen
    ]
    return problems


def item_problems(items: Sequence[Item], rules: Sequence[RuleDocument]) -> list[str]:
    """Categories, a rule document and subgroup for each item, unique names."""
    problems: list[str] = []
    documents = {(d.major, d.middle): d for d in rules}
    names: set[str] = set()
    for item in items:
        where = f"item {item.name!r}"
        if item.name in names:
            problems.append(f"{where}: duplicate item name")
        names.add(item.name)
        found = category_problems(where, item.major, item.middle)
        problems += found
        document = documents.get((item.major, item.middle))
        if not found and document is None:
            problems.append(f"{where}: no rule document for {item.middle!r}")
        if document and item.subgroup and item.subgroup not in document.subgroups:
            problems.append(
                f"{where}: subgroup {item.subgroup!r} is not one of rule "
                f"{document.key!r}'s subgroups {sorted(document.subgroups)}"
            )
    return problems + synonym_problems(items)


def synonym_problems(items: Sequence[Item]) -> list[str]:
    """Every name and synonym must point to one item, and be long enough to match safely."""
    problems: list[str] = []
    owner: dict[str, str] = {}
    for item in items:
        for word in (item.name, *item.synonyms):
            key = match_key(word)
            if len(key) < MIN_KEY_LENGTH:
                problems.append(f"item {item.name!r}: {word!r} is too short to match safely")
                continue
            first = owner.setdefault(key, item.name)
            if first != item.name:
                problems.append(f"item {item.name!r}: synonym {word!r} also names item {first!r}")
    return problems


def tag_problems(tags: Sequence[SituationTag]) -> list[str]:
    """Unique codes, categories the taxonomy knows, reroutes to a real destination, and
    keywords that can be matched (`phrase_problems`)."""
    problems: list[str] = []
    codes: set[str] = set()
    for tag in tags:
        where = f"tag {tag.code!r}"
        if tag.code in codes:
            problems.append(f"{where}: duplicate tag code")
        codes.add(tag.code)
        problems += [
            f"{where}: applies_to names {name!r}, which is neither a major nor a recyclable "
            "middle category"
            for name in tag.applies_to
            if not is_destination(name)
        ]
        if tag.reroute_to is not None and not is_destination(tag.reroute_to):
            problems.append(
                f"{where}: reroute_to {tag.reroute_to!r} is neither a major nor a recyclable "
                "middle category"
            )
        problems += phrase_problems(tag)
    return problems


def phrase_problems(tag: SituationTag) -> list[str]:
    """A tag's `keywords` and `cleared_by` as `tags_in_hint` compares them: each long enough
    to match safely, none listed twice, cleared_by only next to keywords, and no keyword
    inside one of the tag's own cleared_by phrases or the other way round (the words that
    signal the tag would then also say it was fixed, or the reverse)."""
    where = f"tag {tag.code!r}"
    problems: list[str] = []
    keywords = _phrase_keys(where, "keyword", tag.keywords, problems)
    cleared = _phrase_keys(where, "cleared_by", tag.cleared_by, problems)
    if cleared and not tag.keywords:
        problems.append(f"{where}: cleared_by without keywords clears nothing")
    for word, key in keywords:
        for phrase, fixed in cleared:
            if key in fixed:
                problems.append(f"{where}: keyword {word!r} is part of cleared_by {phrase!r}")
            elif fixed in key:
                problems.append(f"{where}: cleared_by {phrase!r} is part of keyword {word!r}")
    return problems


def _phrase_keys(
    where: str, field: str, phrases: Sequence[str], problems: list[str]
) -> list[tuple[str, str]]:
    """(phrase, match key) for each usable phrase; the unusable ones become problems."""
    usable: dict[str, str] = {}
    for phrase in phrases:
        key = match_key(phrase)
        if len(key) < MIN_KEY_LENGTH:
            problems.append(f"{where}: {field} {phrase!r} is too short to match safely")
        elif key in usable:
            problems.append(f"{where}: {field} {phrase!r} repeats {usable[key]!r} (spacing aside)")
        else:
            usable[key] = phrase
    return [(phrase, key) for key, phrase in usable.items()]
