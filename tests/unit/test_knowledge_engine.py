"""The rule engine on the shipped knowledge: documents, ordered steps, insufficiencies, reroutes,
and what it does with tags and categories a vision model may invent."""

from __future__ import annotations

import dataclasses

import pytest

from functions.scan.knowledge.engine import FALLBACK_STEPS, RuleEngine, step_dict
from functions.scan.knowledge.loader import load_knowledge
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.knowledge.taxonomy import RECYCLABLE, UNCLASSIFIED

LABEL_STEP = "라벨을 떼어 비닐류로 따로 배출해 주세요."
GENERAL = "일반종량제폐기물"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="module")
def engine(kb: KnowledgeBase) -> RuleEngine:
    return RuleEngine(kb)


def test_a_clean_clear_pet_bottle_has_nothing_to_fix(engine: RuleEngine, kb: KnowledgeBase) -> None:
    outcome = engine.apply(RECYCLABLE, "무색페트병", "먹는샘물PET병", [])
    assert outcome.document is kb.rules["pet_clear"]
    assert outcome.insufficiencies == ()
    assert outcome.disposal_steps == kb.rules["pet_clear"].steps
    assert (outcome.major, outcome.middle) == (RECYCLABLE, "무색페트병")
    assert outcome.applied_tags == outcome.ignored_tags == ()


def test_a_label_left_on_a_pet_bottle_is_an_insufficiency_fixed_first(engine: RuleEngine) -> None:
    outcome = engine.apply(RECYCLABLE, "무색페트병", "먹는샘물PET병", ["라벨_부착"])
    assert outcome.insufficiencies == ("라벨을 떼지 않았어요.",)
    assert outcome.disposal_steps[0] == LABEL_STEP
    assert outcome.disposal_steps.count(LABEL_STEP) == 1  # moved up, not repeated
    assert outcome.applied_tags == ("라벨_부착",)


def test_fix_steps_come_first_and_cautions_last(engine: RuleEngine, kb: KnowledgeBase) -> None:
    outcome = engine.apply(RECYCLABLE, "무색페트병", "음료PET병", ["압착_안됨", "내용물_있음"])
    assert outcome.disposal_steps[0] == kb.tags["내용물_있음"].steps[0]
    assert outcome.disposal_steps[-1] == kb.tags["압착_안됨"].steps[0]
    assert outcome.insufficiencies == (kb.tags["내용물_있음"].insufficiency,)


def test_tags_are_taken_in_the_knowledge_bases_order(engine: RuleEngine) -> None:
    tags = ["라벨_부착", "이물질_묻음", "내용물_있음"]
    forward = engine.apply(RECYCLABLE, "플라스틱류", "세제용기", tags)
    backward = engine.apply(RECYCLABLE, "플라스틱류", "세제용기", list(reversed(tags)))
    assert forward == backward
    assert forward.applied_tags == ("내용물_있음", "이물질_묻음", "라벨_부착")


def test_heavily_soiled_vinyl_goes_to_the_general_bag(
    engine: RuleEngine, kb: KnowledgeBase
) -> None:
    outcome = engine.apply(RECYCLABLE, "비닐류", "비닐봉투", ["오염_심함"])
    assert (outcome.major, outcome.middle) == (GENERAL, GENERAL)
    assert outcome.document is kb.rules["general"]
    assert outcome.disposal_steps[0] == kb.tags["오염_심함"].steps[0]
    assert outcome.disposal_steps[1:] == kb.rules["general"].steps
    assert outcome.applied_tags == ("오염_심함",) and outcome.insufficiencies == ()


def test_a_reroute_may_lead_to_another_recyclable_middle(
    engine: RuleEngine, kb: KnowledgeBase
) -> None:
    outcome = engine.apply(RECYCLABLE, "무색페트병", "음료PET병", ["유색_페트병", "라벨_부착"])
    assert (outcome.major, outcome.middle) == (RECYCLABLE, "플라스틱류")
    assert outcome.document is kb.rules["plastic"]
    assert outcome.applied_tags == ("유색_페트병", "라벨_부착")  # the label still counts there


def test_after_a_reroute_tags_are_judged_where_the_item_now_goes(engine: RuleEngine) -> None:
    outcome = engine.apply(RECYCLABLE, "무색페트병", "음료PET병", ["라벨_부착", "오염_심함"])
    assert outcome.middle == GENERAL
    assert outcome.applied_tags == ("오염_심함",)
    assert outcome.ignored_tags == ("라벨_부착",)  # no label to peel off for the general bag
    assert outcome.insufficiencies == ()


def test_only_the_first_reroute_acts(engine: RuleEngine) -> None:
    outcome = engine.apply(RECYCLABLE, "무색페트병", "음료PET병", ["유색_페트병", "오염_심함"])
    assert outcome.middle == GENERAL  # 오염_심함 comes first in the knowledge base
    assert outcome.ignored_tags == ("유색_페트병",)


def test_a_broken_glass_bottle_is_non_combustible(engine: RuleEngine, kb: KnowledgeBase) -> None:
    outcome = engine.apply(RECYCLABLE, "유리병", "소주병", ["깨짐"])
    assert outcome.document is kb.rules["non_combustible"]
    assert "신문지" in outcome.disposal_steps[0]


def test_unknown_and_inapplicable_tags_are_ignored(engine: RuleEngine) -> None:
    outcome = engine.apply(RECYCLABLE, "무색페트병", "음료PET병", ["하늘을_남", "펼치지_않음", ""])
    assert outcome.applied_tags == ()
    assert outcome.ignored_tags == ("펼치지_않음", "하늘을_남")  # known ones first, in KB order
    assert outcome.insufficiencies == ()


def test_tags_are_read_once_and_spaces_mean_underscores(engine: RuleEngine) -> None:
    outcome = engine.apply(RECYCLABLE, "무색페트병", "음료PET병", ["라벨 부착", "라벨_부착"])
    assert outcome.applied_tags == ("라벨_부착",)
    assert outcome.insufficiencies == ("라벨을 떼지 않았어요.",)


def test_the_knowledge_base_mapping_of_a_known_item_wins(
    engine: RuleEngine, kb: KnowledgeBase
) -> None:
    outcome = engine.apply(RECYCLABLE, "플라스틱류", "우유팩", [])
    assert outcome.middle == "종이팩" and outcome.document is kb.rules["paper_pack"]
    by_synonym = engine.apply(UNCLASSIFIED, UNCLASSIFIED, "우유곽", [])
    assert by_synonym.middle == "종이팩"


def test_an_items_subgroup_gives_its_own_steps(engine: RuleEngine, kb: KnowledgeBase) -> None:
    gas = engine.apply(RECYCLABLE, "금속류", "부탄가스", [])
    assert gas.disposal_steps == kb.rules["metal"].subgroups["가스용기"].steps
    can = engine.apply(RECYCLABLE, "금속류", "알루미늄캔", [])
    assert can.disposal_steps == kb.rules["metal"].steps


def test_an_unknown_item_in_a_known_category_gets_the_common_steps(
    engine: RuleEngine, kb: KnowledgeBase
) -> None:
    outcome = engine.apply(RECYCLABLE, "금속류", "은색 무언가", [])
    assert outcome.document is kb.rules["metal"]
    assert outcome.disposal_steps == kb.rules["metal"].steps


def test_food_waste_with_bones_must_be_sorted_first(engine: RuleEngine, kb: KnowledgeBase) -> None:
    outcome = engine.apply("음식물류폐기물", "음식물류폐기물", "남은음식", ["뼈_포함", "물기_있음"])
    assert outcome.document is kb.rules["food"]
    assert outcome.insufficiencies == (
        kb.tags["물기_있음"].insufficiency,
        kb.tags["뼈_포함"].insufficiency,
    )
    assert outcome.disposal_steps[:2] == (
        kb.tags["물기_있음"].steps[0],
        kb.tags["뼈_포함"].steps[0],
    )


def test_unclassified_gets_the_fallback_and_nothing_to_fix(engine: RuleEngine) -> None:
    outcome = engine.apply(UNCLASSIFIED, UNCLASSIFIED, UNCLASSIFIED, ["내용물_있음"])
    assert outcome.document is None
    assert outcome.disposal_steps == FALLBACK_STEPS
    assert outcome.insufficiencies == () and outcome.applied_tags == ()
    assert outcome.ignored_tags == ("내용물_있음",)


@pytest.mark.parametrize(
    ("major", "middle", "expected"),
    [
        ("쓰레기", "쓰레기", (UNCLASSIFIED, UNCLASSIFIED)),
        (RECYCLABLE, "캔류", (UNCLASSIFIED, UNCLASSIFIED)),
        (GENERAL, "비닐류", (GENERAL, GENERAL)),  # a known non-recyclable major keeps itself
        ("재활용", "비닐류", (RECYCLABLE, "비닐류")),  # a recyclable middle implies its major
    ],
)
def test_invented_categories_are_read_leniently_or_unclassified(
    engine: RuleEngine, major: str, middle: str, expected: tuple[str, str]
) -> None:
    outcome = engine.apply(major, middle, None, [])
    assert (outcome.major, outcome.middle) == expected


def test_the_outcome_is_frozen(engine: RuleEngine) -> None:
    outcome = engine.apply(RECYCLABLE, "종이", "신문지", [])
    with pytest.raises(dataclasses.FrozenInstanceError):
        outcome.major = "x"  # type: ignore[misc]


def test_step_dict_numbers_the_steps_in_order() -> None:
    steps = step_dict(["비우기", "헹구기", "버리기"])
    assert list(steps.items()) == [("단계1", "비우기"), ("단계2", "헹구기"), ("단계3", "버리기")]
    assert step_dict([]) == {}
    assert list(step_dict(f"s{n}" for n in range(12)))[-1] == "단계12"  # not sorted as text
