"""Situation tags read from a user's own words (`KnowledgeBase.tags_in_hint`, what the offline
vision provider attaches): keywords found, fixes that clear them, and the checks that keep the
keyword lists matchable."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from functions.scan import offline
from functions.scan.knowledge.engine import RuleEngine
from functions.scan.knowledge.errors import KnowledgeError
from functions.scan.knowledge.loader import DATA_DIR, load_knowledge
from functions.scan.knowledge.model import KnowledgeBase, SituationTag, match_key
from functions.scan.knowledge.validation import phrase_problems


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


def caution(code: str, keywords: list[str], cleared_by: list[str] | None = None) -> SituationTag:
    return SituationTag(
        code=code,
        label=code,
        kind="caution",
        steps=("조심해 주세요.",),
        keywords=tuple(keywords),
        cleared_by=tuple(cleared_by or ()),
    )


@pytest.mark.parametrize(
    ("hint", "code"),
    [
        ("라벨 붙은 생수 페트병", "라벨_부착"),
        ("라벨이 붙어 있는데 그냥 버려도 돼요?", "라벨_부착"),
        ("라벨 안 뗐어요", "라벨_부착"),
        ("기름 묻은 피자 박스", "기름_묻음"),
        ("깨진 유리병", "깨짐"),
        ("배터리 든 장난감", "배터리_포함"),
        ("음료가 조금 남은 페트병", "내용물_있음"),
        ("택배 박스 송장 붙어 있어요", "운송장_부착"),
        ("샴푸통 펌프 달린 채로", "펌프_부착"),
    ],
)
def test_a_users_words_signal_the_tag(kb: KnowledgeBase, hint: str, code: str) -> None:
    assert code in kb.tags_in_hint(hint)


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("라벨 붙은 생수 페트병", ("라벨_부착",)),
        ("깨진 유리병", ("깨짐",)),
        ("배터리 든 장난감", ("배터리_포함",)),
        ("다 마신 우유팩이에요", ()),
        ("우유팩", ()),
    ],
)
def test_nothing_else_is_read_into_a_plain_hint(
    kb: KnowledgeBase, hint: str, expected: tuple[str, ...]
) -> None:
    assert kb.tags_in_hint(hint) == expected


def test_grease_on_a_pizza_box_is_not_read_as_dirt_beyond_washing(kb: KnowledgeBase) -> None:
    found = kb.tags_in_hint("기름 묻은 피자 박스")
    assert "기름_묻음" in found and "오염_심함" not in found


@pytest.mark.parametrize(
    "hint",
    [
        "생수병 깨끗이 씻고 라벨 뗐어요",
        "깨끗이 씻어서 라벨 뗐어요",
        "라벨 없는 생수병",
        "라벨 다 뗐어요",
        "무라벨 생수병이에요",
    ],
)
def test_a_fixed_label_or_a_rinsed_bottle_is_no_insufficiency(kb: KnowledgeBase, hint: str) -> None:
    found = kb.tags_in_hint(hint)
    assert "라벨_부착" not in found and "내용물_있음" not in found
    assert not any(kb.tags[code].kind == "insufficiency" for code in found), found


@pytest.mark.parametrize(
    ("hint", "code"),
    [
        ("안 깨진 유리병", "깨짐"),
        ("배터리 든 장난감인데 배터리 뺐어요", "배터리_포함"),
        ("펌프 달린 샴푸통인데 펌프 뗐어요", "펌프_부착"),
        ("테이프 붙은 택배 박스, 테이프랑 송장 다 뗐어요", "테이프_부착"),
        ("라벨 붙어 있던 생수병인데 라벨 떼고 헹궜어요", "라벨_부착"),
        ("안 부풀은 보조배터리", "배터리_부풂"),
    ],
)
def test_saying_it_was_fixed_clears_the_tag(kb: KnowledgeBase, hint: str, code: str) -> None:
    text = match_key(hint)
    assert any(match_key(word) in text for word in kb.tags[code].keywords)  # it is signalled
    assert code not in kb.tags_in_hint(hint)  # and cleared


def test_every_tag_is_found_by_each_of_its_keywords(kb: KnowledgeBase) -> None:
    for tag in kb.tags.values():
        assert tag.keywords, f"{tag.code} has no keywords"
        fixes = [match_key(phrase) for phrase in tag.cleared_by]
        for word in tag.keywords:
            sentence = f"이거 {word} 상태예요"
            if any(fix in match_key(sentence) for fix in fixes):
                continue  # the sentence itself says it was fixed
            assert tag.code in kb.tags_in_hint(sentence), (tag.code, word)


def test_every_tag_is_found_by_its_own_label(kb: KnowledgeBase) -> None:
    # The label is how the tag reads to people, so saying it should count.
    for tag in kb.tags.values():
        assert tag.code in kb.tags_in_hint(f"이거 {tag.label}"), (tag.code, tag.label)


def test_matching_ignores_spacing_separators_and_latin_case() -> None:
    kb = KnowledgeBase([], [caution("led", ["LED 조명"]), caution("붙음", ["라벨 붙은"])], [])
    assert kb.tags_in_hint("led조명") == ("led",)
    assert kb.tags_in_hint("라 벨·붙-은") == ("붙음",)
    assert kb.tags_in_hint("   ") == ()


def test_tags_come_in_the_knowledge_bases_order_not_the_texts() -> None:
    first, second = caution("첫째", ["가나다"]), caution("둘째", ["라마바"])
    kb = KnowledgeBase([], [first, second], [])
    assert kb.tags_in_hint("라마바 그리고 가나다") == ("첫째", "둘째")


def test_a_cleared_by_phrase_only_clears_its_own_tag() -> None:
    label = caution("라벨", ["라벨 붙"], ["라벨 뗐"])
    cap = caution("뚜껑", ["뚜껑 달린"])
    kb = KnowledgeBase([], [label, cap], [])
    assert kb.tags_in_hint("라벨 붙은 거 라벨 뗐고 뚜껑 달린 병") == ("뚜껑",)
    assert kb.tags_in_hint("라벨 붙은 병") == ("라벨",)


def test_a_tag_without_keywords_is_never_read_from_text() -> None:
    kb = KnowledgeBase([], [caution("없음", [])], [])
    assert kb.tags_in_hint("없음") == ()


def test_the_offline_vision_reads_tags_with_the_same_rules(kb: KnowledgeBase) -> None:
    assert offline.tags_in(kb, "라벨 붙은 생수 페트병") == ["라벨_부착"]
    assert offline.tags_in(kb, "생수병 깨끗이 씻고 라벨 뗐어요") == []
    request: Any = None  # the offline answer does not look at the request
    answer = offline.vision(kb, "라벨 붙은 생수 페트병")(request)
    assert answer["minor_category"] == "먹는샘물PET병"
    assert answer["situation_tags"] == ["라벨_부착"]
    clean = offline.vision(kb, "생수병 깨끗이 씻고 라벨 뗐어요")(request)
    assert clean["minor_category"] == "먹는샘물PET병" and clean["situation_tags"] == []


@pytest.mark.parametrize(
    ("hint", "fix_needed"),
    [
        ("라벨 붙은 생수 페트병", True),  # was rewarded while the tag went unread
        ("생수병 깨끗이 씻고 라벨 뗐어요", False),
        ("기름 묻은 피자 박스", True),
        ("다 마신 우유팩이에요", False),
    ],
)
def test_offline_tags_decide_the_insufficiencies(
    kb: KnowledgeBase, hint: str, fix_needed: bool
) -> None:
    request: Any = None
    found = offline.vision(kb, hint)(request)
    outcome = RuleEngine(kb).apply(
        found["major_category"],
        found["middle_category"],
        found["minor_category"],
        found["situation_tags"],
    )
    assert bool(outcome.insufficiencies) is fix_needed, outcome


# ── validation ──


def test_good_phrases_have_no_problems() -> None:
    assert phrase_problems(caution("라벨", ["라벨 붙", "라벨 그대로"], ["라벨 뗐"])) == []


def test_short_empty_and_repeated_phrases_are_problems() -> None:
    tag = caution("라벨", ["라", "라벨 붙은", "라벨붙은", " "], ["뗐"])
    assert phrase_problems(tag) == [
        "tag '라벨': keyword '라' is too short to match safely",
        "tag '라벨': keyword '라벨붙은' repeats '라벨 붙은' (spacing aside)",
        "tag '라벨': keyword '' is too short to match safely",
        "tag '라벨': cleared_by '뗐' is too short to match safely",
    ]


def test_a_keyword_inside_a_cleared_by_phrase_or_around_one_is_a_problem() -> None:
    tag = caution("라벨", ["라벨", "라벨 안 뗀 병"], ["라벨 뗐", "안 뗀"])
    assert phrase_problems(tag) == [
        "tag '라벨': keyword '라벨' is part of cleared_by '라벨 뗐'",
        "tag '라벨': cleared_by '안 뗀' is part of keyword '라벨 안 뗀 병'",
    ]


def test_cleared_by_needs_keywords() -> None:
    assert phrase_problems(caution("라벨", [], ["라벨 뗐"])) == [
        "tag '라벨': cleared_by without keywords clears nothing"
    ]


def test_the_loader_reports_every_phrase_problem_at_once(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(DATA_DIR, root)
    path = root / "tags.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    tags = {tag["code"]: tag for tag in document["tags"]}
    tags["라벨_부착"]["keywords"] = ["라벨", "라벨 붙", "라벨붙", "x"]
    tags["깨짐"]["cleared_by"] = ["깨"]
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    problems = "\n".join(caught.value.problems)
    assert "tag '라벨_부착': keyword '라벨붙' repeats '라벨 붙' (spacing aside)" in problems
    assert "tag '라벨_부착': keyword 'x' is too short to match safely" in problems
    assert "tag '라벨_부착': keyword '라벨' is part of cleared_by '라벨 뗐'" in problems
    assert "tag '깨짐': cleared_by '깨' is too short to match safely" in problems
