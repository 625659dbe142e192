"""The shipped knowledge: taxonomy coverage, hint matching over every name and synonym, the
contract shapes, and spot checks that the data follows real Korean disposal practice."""

from __future__ import annotations

import json

import pytest

from functions.scan.knowledge.loader import load_knowledge
from functions.scan.knowledge.model import Item, KnowledgeBase, RuleDocument, match_key
from functions.scan.knowledge.retrieval import retriever_for
from functions.scan.knowledge.taxonomy import (
    MAJORS,
    OTHER_MAJORS,
    RECYCLABLE,
    RECYCLABLE_MIDDLES,
    UNCLASSIFIED,
    is_valid,
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


def test_the_taxonomy_is_the_clients() -> None:
    assert MAJORS[0] == RECYCLABLE and MAJORS[-1] == UNCLASSIFIED and len(MAJORS) == 8
    assert len(RECYCLABLE_MIDDLES) == 12 and RECYCLABLE_MIDDLES[2] == "무색페트병"
    assert is_valid(RECYCLABLE, "종이팩") and not is_valid(RECYCLABLE, "캔류")
    assert is_valid("대형폐기물", "대형폐기물") and not is_valid("대형폐기물", "종이")
    assert not is_valid("쓰레기", "쓰레기")


def test_every_recyclable_middle_has_items_and_a_document(kb: KnowledgeBase) -> None:
    for middle in RECYCLABLE_MIDDLES:
        assert any(i.middle == middle for i in kb.items), middle
        document = kb.rule_for(RECYCLABLE, middle)
        assert document is not None and document.middle == middle


def test_every_other_major_has_a_document_and_unclassified_has_none(kb: KnowledgeBase) -> None:
    for major in OTHER_MAJORS:
        document = kb.rule_for(major, major)
        assert document is not None and document.major == major
        assert kb.rule_for(major, "아무거나") is document  # the middle does not matter there
    assert kb.rule_for(UNCLASSIFIED, UNCLASSIFIED) is None
    assert kb.rule_for(RECYCLABLE, "캔류") is None


def test_every_item_is_found_by_its_name_and_each_synonym(kb: KnowledgeBase) -> None:
    for item in kb.items:
        for word in (item.name, *item.synonyms):
            found = _match(kb, f"이거 {word} 어떻게 버려요?")
            assert found is not None and found.name == item.name, (word, found)


def test_matching_ignores_spacing_and_latin_case(kb: KnowledgeBase) -> None:
    assert _name(_match(kb, "우유 팩 다 마셨어요")) == "우유팩"
    assert _name(_match(kb, "MILK CARTON")) == "우유팩"
    assert _name(_match(kb, "생수 pet 병")) == "먹는샘물PET병"
    assert match_key(" 우유 팩\t") == match_key("우유팩") == "우유팩"


def test_the_longest_match_wins(kb: KnowledgeBase) -> None:
    assert _name(_match(kb, "초록 페트병")) == "유색페트병"  # not the generic 페트병
    assert _name(_match(kb, "페트병")) == "음료PET병"
    assert _name(_match(kb, "세탁소 옷걸이")) == "철사옷걸이"  # not 옷걸이 (plastic)
    assert _name(_match(kb, "스티로폼 단열재")) == "단열재"


def test_of_two_names_as_long_the_later_one_wins() -> None:
    """Korean noun phrases end in their head ("비닐 우산" is an umbrella)."""
    first = Item(name="가나", major=RECYCLABLE, middle="종이")
    second = Item(name="다라", major=RECYCLABLE, middle="종이")
    kb = KnowledgeBase([first, second], [], [])
    assert _name(_match(kb, "다라 가나")) == "가나"
    assert _name(_match(kb, "가나 다라")) == "다라"


def test_no_hint_in_the_text_is_no_item(kb: KnowledgeBase) -> None:
    assert _match(kb, "이거 어떻게 버려요?") is None
    assert _match(kb, "   ") is None


def test_resolve_reads_a_whole_term_and_item_reads_only_names(kb: KnowledgeBase) -> None:
    assert _name(kb.resolve("우유 곽")) == "우유팩"
    assert kb.resolve("우유곽이요") is None  # no searching inside
    assert _name(kb.item("우유팩")) == "우유팩"
    assert kb.item("우유곽") is None


@pytest.mark.parametrize(
    ("word", "major", "middle"),
    [
        ("우유팩", RECYCLABLE, "종이팩"),  # 종이팩 apart from 종이
        ("종이컵", RECYCLABLE, "종이"),
        ("생수병", RECYCLABLE, "무색페트병"),
        ("초록 페트병", RECYCLABLE, "플라스틱류"),  # coloured PET is not 무색페트병
        ("식용유병", RECYCLABLE, "플라스틱류"),
        ("아이스팩", "일반종량제폐기물", "일반종량제폐기물"),
        ("깨진 유리", "불연성종량제폐기물", "불연성종량제폐기물"),
        ("형광등", RECYCLABLE, "조명제품"),
        ("보조배터리", RECYCLABLE, "전지"),
        ("스티로폼", RECYCLABLE, "발포합성수지"),
        ("부탄가스", RECYCLABLE, "금속류"),
        ("닭뼈", "일반종량제폐기물", "일반종량제폐기물"),
        ("조개껍데기", "일반종량제폐기물", "일반종량제폐기물"),
        ("달걀 껍데기", "일반종량제폐기물", "일반종량제폐기물"),
        ("냉장고", RECYCLABLE, "전기전자제품"),  # free pick-up, not a paid bulky sticker
        ("소파", "대형폐기물", "대형폐기물"),
        ("폐의약품", "생활계유해폐기물", "생활계유해폐기물"),
        ("석고보드", "공사장생활폐기물", "공사장생활폐기물"),
    ],
)
def test_items_follow_korean_practice(
    kb: KnowledgeBase, word: str, major: str, middle: str
) -> None:
    item = _match(kb, word)
    assert item is not None and (item.major, item.middle) == (major, middle), item


def test_the_food_document_lists_what_food_waste_does_not_take(kb: KnowledgeBase) -> None:
    document = kb.rule_for("음식물류폐기물", "음식물류폐기물")
    assert document is not None
    refused = " ".join(n.item for n in document.not_accepted)
    for word in ("뼈", "조개", "씨", "티백", "찻잎", "양파", "마늘", "달걀", "견과류"):
        assert word in refused, word
    assert {n.instead for n in document.not_accepted} == {"일반종량제폐기물"}


def test_the_contract_shape_of_a_rule_document(kb: KnowledgeBase) -> None:
    document = kb.rules["paper_pack"]
    shape = document.as_contract()
    assert list(shape) == [
        "규칙키", "대분류", "중분류", "이름", "대상",
        "배출방법", "세부분류", "배출불가", "아이콘", "참고",
    ]  # fmt: skip
    assert shape["규칙키"] == "paper_pack" and shape["중분류"] == "종이팩"
    assert shape["배출방법"] == list(document.steps)
    assert set(shape["세부분류"]) == {"살균팩", "멸균팩"}
    assert set(shape["세부분류"]["멸균팩"]) == {"대상", "배출방법"}
    assert set(shape["배출불가"][0]) == {"품목", "배출처", "이유"}
    assert "헹구고" in shape["아이콘"]
    for each in kb.rules.values():
        json.dumps(each.as_contract(), ensure_ascii=False)  # plain JSON all the way down


def test_rule_documents_are_frozen(kb: KnowledgeBase) -> None:
    document: RuleDocument = kb.rules["food"]
    with pytest.raises(ValueError, match="frozen"):
        document.display_name = "x"  # type: ignore[misc]


def test_categories_follow_the_taxonomy(kb: KnowledgeBase) -> None:
    categories = kb.categories()
    assert [c["major_category"] for c in categories] == list(MAJORS)
    recyclable = categories[0]["middle_categories"]
    assert [m["middle_category"] for m in recyclable] == list(RECYCLABLE_MIDDLES)
    pack = recyclable[1]
    assert pack["display_name"] == "종이팩" and "우유팩" in pack["items"]
    assert categories[-1] == {"major_category": UNCLASSIFIED, "middle_categories": []}
    for entry in categories[1:-1]:
        [only] = entry["middle_categories"]
        assert only["middle_category"] == entry["major_category"] and only["items"]
    listed = sum(len(m["items"]) for c in categories for m in c["middle_categories"])
    assert listed == len(kb.items)


def test_tags_have_every_kind_and_codes_in_order(kb: KnowledgeBase) -> None:
    assert {t.kind for t in kb.tags.values()} == {"insufficiency", "caution", "reroute"}
    assert kb.tag_codes() == tuple(kb.tags)
    for code in ("내용물_있음", "오염_심함", "라벨_부착", "뚜껑_분리_필요", "깨짐", "배터리_포함"):
        assert code in kb.tags
    assert {"가스_잔존_의심", "대형_폐기물_의심"} <= set(kb.tag_codes())
    # some insufficiency applies to every category (a hint like "내용물이 남아 있음" always counts)
    assert any(t.kind == "insufficiency" and not t.applies_to for t in kb.tags.values())


def _name(item: Item | None) -> str | None:
    return item.name if item else None


def _match(kb: KnowledgeBase, text: str) -> Item | None:
    """The item the retriever names first (the offline vision's choice)."""
    best = retriever_for(kb).best(text)
    return best.item if best else None
