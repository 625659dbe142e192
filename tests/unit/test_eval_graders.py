"""Tier 1 (functions/eval/graders.py): the offline pipeline's answers to the golden sets pass
every check, and deliberately wrong answers fail exactly the check they break — a wrong bin,
a missing battery warning, forbidden advice, 반말, a broken contract shape."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from functions.eval import answers, data, graders, korean
from functions.eval.grounding import Grounding, ground
from functions.eval.model import Answer, Situation
from functions.kit.llm.client import LLMClient
from functions.kit.llm.offline_provider import OfflineProvider
from functions.scan.knowledge.engine import RuleEngine
from functions.scan.knowledge.loader import load_knowledge
from functions.scan.knowledge.model import KnowledgeBase

KB = load_knowledge()
ENGINE = RuleEngine(KB)


def offline_llm() -> LLMClient:
    return LLMClient({"offline": OfflineProvider()}, allowed_models=["offline"],
                     default_model="offline")  # fmt: skip


def golden_answers() -> list[Answer]:
    golden, llm = data.golden(), offline_llm()

    async def write() -> list[Answer]:
        scans = [await answers.write_scan(KB, ENGINE, c, llm, None) for c in golden.scan]
        return scans + [await answers.write_chat(KB, ENGINE, c, llm, None) for c in golden.chat]

    return asyncio.run(write())


GOLDEN = golden_answers()
BY_ID = {a.id: a for a in GOLDEN}


def failed(answer: Answer) -> dict[str, str]:
    checks = graders.grade(answer, ground(KB, ENGINE, answer.situation))
    return {c.name: c.detail for c in checks if not c.passed}


def grounding_of(answer: Answer) -> Grounding:
    return ground(KB, ENGINE, answer.situation)


@pytest.mark.parametrize("answer", GOLDEN, ids=lambda a: a.id)
def test_the_pipelines_offline_answers_pass_every_check(answer: Answer) -> None:
    assert failed(answer) == {}


def test_the_golden_sets_cover_the_hazards_the_warnings_guard() -> None:
    required = {w.code for w in data.requirements().warnings}
    covered = {
        w.code
        for a in GOLDEN
        for w in data.requirements().warnings
        if grounding_of(a).applies(w.when)
    }
    assert covered == required


def wrong_bin(answer: Answer, kb: KnowledgeBase = KB) -> Answer:
    """A battery answer filed under the general bag, with that document's steps."""
    general = kb.rules["general"]
    return replace(
        answer, claimed_major=general.major, claimed_middle=general.middle, steps=general.steps,
        reply="건전지는 일반종량제폐기물로 버리면 돼요.",
    )  # fmt: skip


def test_a_battery_sent_to_the_general_bag_fails_the_bin_check() -> None:
    broken = wrong_bin(BY_ID["s-aa"])
    found = failed(broken)
    assert "bin" in found and "전지" in found["bin"]
    assert "steps" in found  # the general bag's steps are not the battery document's
    assert "warnings" in found  # and the battery warning went with them


def test_a_reply_naming_another_bin_fails_even_with_the_right_category() -> None:
    answer = BY_ID["s-milk"]
    broken = replace(answer, reply="우유팩은 헹궈서 플라스틱류로 배출하면 돼요.")
    found = failed(broken)
    assert set(found) == {"bin"}
    assert "플라스틱류" in found["bin"]


def test_a_destination_the_document_names_for_other_things_is_not_a_wrong_bin() -> None:
    """The 종이팩 document sends ordinary paper to 종이: saying so is not misfiling milk."""
    answer = BY_ID["s-milk"]
    said = "일반 종이 상자는 종이로 배출하면 돼요."
    assert failed(replace(answer, reply=f"{answer.reply} {said}")) == {}


def test_a_missing_battery_warning_fails_the_warnings_check_only() -> None:
    answer = BY_ID["s-aa"]
    kept = tuple(s for s in answer.steps if "수거함" not in s)
    found = failed(replace(answer, steps=kept))
    assert set(found) == {"warnings"}
    assert "폐건전지 수거함" in found["warnings"]


def test_a_toy_with_its_batteries_in_needs_the_battery_warning() -> None:
    answer = BY_ID["s-toy"]
    kept = tuple(s for s in answer.steps if "건전지" not in s)
    assert "warnings" in failed(replace(answer, steps=kept))


def test_a_butane_answer_without_emptying_the_gas_fails() -> None:
    answer = BY_ID["s-butane"]
    kept = tuple(s for s in answer.steps if "가스" not in s)
    assert "warnings" in failed(replace(answer, steps=kept, reply="부탄가스는 금속류예요."))


@pytest.mark.parametrize(
    ("answer_id", "advice", "rule"),
    [
        ("s-powerbank", "작은 건 종량제봉투에 버려도 괜찮아요.", "종량제봉투"),
        ("s-butane-left", "남았으면 구멍을 뚫어서 빼면 돼요.", "구멍"),
        ("s-broken-bottle", "깨진 조각도 유리병 수거함에 넣으면 돼요.", "유리병"),
        ("s-medicine", "물약은 변기에 버려도 돼요.", "변기"),
    ],
)
def test_advice_the_knowledge_base_forbids_fails(answer_id: str, advice: str, rule: str) -> None:
    answer = BY_ID[answer_id]
    found = failed(replace(answer, reply=f"{answer.reply} {advice}"))
    assert "forbidden" in found and rule in found["forbidden"]
    assert set(found) <= {"forbidden", "bin"}  # sending a battery to the bag is both


def test_the_same_words_negated_are_not_forbidden_advice() -> None:
    answer = BY_ID["s-powerbank"]
    said = "절대 종량제봉투에 넣지 말아 주세요. 종량제봉투에 버리면 안 돼요."
    assert failed(replace(answer, reply=f"{answer.reply} {said}")) == {}


def test_banmal_fails_the_register_check() -> None:
    answer = BY_ID["s-milk"]
    found = failed(replace(answer, reply="우유팩은 헹궈서 종이팩 수거함에 넣어. 알겠지?"))
    assert set(found) == {"register"}


def test_a_chat_answer_in_banmal_fails_the_register_check() -> None:
    answer = BY_ID["c-milk"]
    assert set(failed(replace(answer, reply=answer.reply + "\n\n다 했으면 버려."))) == {"register"}


def test_a_scan_result_with_broken_step_keys_fails_the_shape_check() -> None:
    answer = BY_ID["s-milk"]
    raw = dict(answer.raw)  # type: ignore[call-overload]
    final = raw["pipeline_result"]["final_answer"]
    broken = {**raw, "pipeline_result": {**raw["pipeline_result"], "final_answer": {
        **final, "disposal_steps": {"1": "헹궈 주세요.", "단계3": "넣어 주세요."}}}}  # fmt: skip
    found = failed(replace(answer, raw=broken))
    assert "단계1..단계2" in found["shape"]


def test_a_chat_answer_that_is_raw_json_fails_the_shape_check() -> None:
    answer = answers.chat_answer("x", "우유팩", Situation("우유팩"), '{"text": "헹궈 주세요."}')
    assert "raw JSON" in failed(answer)["shape"]


@pytest.mark.parametrize(
    ("sentence", "level"),
    [
        ("내용물을 비우고 헹궈 주세요.", "polite"),
        ("종이팩 수거함에 배출합니다.", "polite"),
        ("이코가 칭찬해요!", "polite"),
        ("헹궈서 수거함에 넣어.", "impolite"),
        ("그것도 몰라?", "impolite"),
        ("이건 플라스틱이다.", "impolite"),
        ("종이로 버려", "impolite"),
        ("재활용폐기물 › 전지 (폐건전지·배터리)", "neutral"),
        ("알칼리 건전지", "neutral"),
        ("맑음, 3°C.", "neutral"),
    ],
)
def test_speech_levels(sentence: str, level: str) -> None:
    assert korean.level(sentence) == level


def test_every_requirement_quotes_text_the_knowledge_base_has() -> None:
    """warnings.yaml and forbidden.yaml stay tied to the KB: each cites a KB sentence."""
    texts = [s for d in KB.rules.values() for s in (*d.steps, *(x for g in d.subgroups.values()
             for x in g.steps), *(n.reason for n in d.not_accepted))]  # fmt: skip
    texts += [s for t in KB.tags.values() for s in t.steps]
    flat = korean.squeeze(" ".join(texts))
    reqs = data.requirements()
    for found in (*reqs.warnings, *reqs.forbidden):
        assert korean.squeeze(found.source) in flat, found.code
        for tag in found.when.tags:
            assert tag in KB.tags, (found.code, tag)
        for key in found.when.rules:
            assert key in KB.rules, (found.code, key)
