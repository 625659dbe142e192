# ruff: noqa: E501 - Korean answers and labels read best one per line
"""Draft the calibration set's candidates (functions/eval/data/calibration.yaml): the offline
pipeline's answers to the golden sets, and deliberately flawed variants of them.

    uv run python -m tests.eval.calibration_candidates > /tmp/draft.yaml

Each candidate comes with a first label per criterion from the reviewer's reading of the
rubric for its kind of flaw (`first_labels`); the committed file is that draft reviewed
answer by answer, with labels changed where the answer deserved it (docs/eval.md). Never
regenerate over the committed file: the review is in it.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace

import yaml

from functions.eval import answers, data
from functions.eval.grounding import Grounding, ground
from functions.eval.korean import level, sentences, squeeze
from functions.eval.model import Answer
from functions.kit.llm.client import LLMClient
from functions.kit.llm.offline_provider import OfflineProvider
from functions.scan.knowledge.engine import RuleEngine
from functions.scan.knowledge.loader import load_knowledge
from functions.scan.knowledge.model import KnowledgeBase
from tests.eval.calibration_review import HANDWRITTEN, REVIEW

WRONG_BIN = {"전지": "일반종량제폐기물", "종이팩": "종이", "금속류": "일반종량제폐기물",
             "유리병": "불연성종량제폐기물", "무색페트병": "플라스틱류",
             "불연성종량제폐기물": "유리병", "일반종량제폐기물": "음식물류폐기물",
             "음식물류폐기물": "일반종량제폐기물", "생활계유해폐기물": "일반종량제폐기물"}  # fmt: skip
HALLUCINATION = (
    "서울 강남구는 이 품목을 매주 화요일 저녁 8시에만 내놓을 수 있고, 어기면 과태료 10만 원이에요."
)
FORBIDDEN = {"battery": "사실 작은 건 종량제봉투에 버려도 괜찮아요.",
             "metal": "가스가 남았으면 구멍을 뚫어서 빼면 돼요.",
             "non_combustible": "깨진 조각도 유리병 수거함에 넣으면 돼요.",
             "hazardous": "물약은 변기에 버려도 돼요."}  # fmt: skip


def _category(kb: KnowledgeBase, middle: str) -> tuple[str, str]:
    for document in kb.rules.values():
        if document.middle == middle:
            return document.major, document.middle
    raise KeyError(middle)


def _pipeline(kb: KnowledgeBase) -> list[Answer]:
    llm = LLMClient({"offline": OfflineProvider()}, allowed_models=["offline"],
                    default_model="offline")  # fmt: skip
    engine = RuleEngine(kb)
    golden = data.golden()

    async def run() -> list[Answer]:
        found = [await answers.write_scan(kb, engine, c, llm, None) for c in golden.scan]
        return found + [await answers.write_chat(kb, engine, c, llm, None) for c in golden.chat]

    return asyncio.run(run())


def _flaws(kb: KnowledgeBase, a: Answer, g: Grounding, n: int) -> list[tuple[str, Answer]]:
    """The flawed variants that make sense for this answer (scan answers only)."""
    if a.kind != "scan" or g.document is None:
        return []
    out: list[tuple[str, Answer]] = []
    key = g.document.key
    wrong = WRONG_BIN.get(g.middle)
    if wrong:
        other = kb.rule_for(*_category(kb, wrong))
        assert other is not None
        out.append(("wrong_bin", replace(
            a, claimed_major=other.major, claimed_middle=other.middle, steps=other.steps,
            reply=f"{a.situation.item}은(는) '{wrong}'(으)로 배출하면 돼요.")))  # fmt: skip
    phrases = [m for w in data.requirements().warnings if g.applies(w.when) for m in w.mention]
    warned = [s for s in a.steps if any(squeeze(m) in squeeze(s) for m in phrases)]
    if warned and len(warned) < len(a.steps):
        kept = tuple(s for s in a.steps if s not in warned)
        out.append(("missing_warning", replace(a, steps=kept)))
    if n % 3 == 0:
        out.append(("banmal", replace(
            a, steps=tuple(s.replace("주세요.", "줘.").replace("해요.", "해.") for s in a.steps),
            reply=a.reply.replace("하면 돼요.", "하면 돼.").replace("있어요:", "있어:")
            .replace("준비됐어요!", "준비됐네!").replace("칭찬해요.", "칭찬할게."))))  # fmt: skip
    if n % 3 == 1:
        out.append(("hallucinated_local", replace(a, reply=f"{a.reply} {HALLUCINATION}")))
    if key in FORBIDDEN:
        out.append(("forbidden", replace(a, reply=f"{a.reply} {FORBIDDEN[key]}")))
    if a.insufficiencies:
        out.append(("ignored_insufficiency", replace(
            a, insufficiencies=(), reply=f"{a.situation.item}은(는) 지금 상태 그대로 잘 준비됐어요!")))  # fmt: skip
    return out


FIRE_TAGS = {"가스_잔존_의심", "배터리_포함", "배터리_부풂", "단자_노출"}
CUT_TAGS = {"깨짐", "형광등_파손", "날카로움"}
LOCAL = ("지역", "지자체", "구청", "시·군·구")


def _hazard(g: Grounding) -> str:
    tags = set(g.tags)
    if (
        (g.document and g.document.key == "battery")
        or g.subgroup in ("가스용기", "라이터")
        or (tags & FIRE_TAGS)
    ):
        return "fire"
    if g.document and g.document.key == "hazardous":
        return "chem"
    return "cut" if tags & CUT_TAGS else ""


def _pipeline_labels(a: Answer, g: Grounding) -> dict[str, int]:
    if g.document is None:
        return {"accuracy": 3, "local_rules": 4, "safety": 5, "helpfulness": 3, "tone": 4}
    text = " ".join(a.steps) + a.reply
    local = 5 if any(w in text for w in LOCAL) else 3 if g.document.key in ("food", "bulky") else 4
    return {"accuracy": 5, "local_rules": local, "safety": 5, "helpfulness": 5, "tone": 4}


def first_labels(origin: str, a: Answer, g: Grounding) -> tuple[dict[str, int], str]:  # noqa: PLR0911 - a branch per kind of flaw
    """The reviewer's reading of the rubric for this kind of answer (see REVIEW for the
    answers read one by one)."""
    labels = _pipeline_labels(a, g)
    hazard = _hazard(g)
    flaw = origin.removeprefix("flawed:")
    if flaw == "wrong_bin":
        safety = 1 if hazard in ("fire", "chem") else 2 if hazard == "cut" else 5
        return labels | {"accuracy": 1, "helpfulness": 2, "safety": safety}, "배출처가 틀림"
    if flaw == "missing_warning":
        safety = 1 if hazard == "fire" else 2
        return labels | {"accuracy": 4, "helpfulness": 4, "safety": safety}, "필수 경고 단계가 빠짐"
    if flaw == "banmal":
        polite = any(level(s) == "polite" for s in sentences(a.text))
        return labels | {"tone": 2 if polite else 1}, "반말로 바뀜" + (
            " (존댓말 일부 남음)" if polite else ""
        )
    if flaw == "hallucinated_local":
        return labels | {
            "local_rules": 1,
            "accuracy": 4,
            "helpfulness": 4,
        }, "없는 강남구 규칙을 지어냄"
    if flaw == "forbidden":
        return labels | {
            "safety": 1,
            "accuracy": 2,
            "helpfulness": 3,
        }, "규칙이 금지하는 조언을 덧붙임"
    if flaw == "ignored_insufficiency":
        safety = 2 if hazard == "fire" else 5
        return labels | {
            "helpfulness": 2,
            "accuracy": 4,
            "safety": safety,
        }, "미흡한 점을 말하지 않고 칭찬함"
    changes, why = REVIEW.get(
        a.id, ({}, "규칙 문서 그대로의 단계; 답변 문장은 템플릿이라 다정함이 약함")
    )
    return labels | changes, why


def entry(origin: str, a: Answer, g: Grounding) -> dict[str, object]:
    labels, why = first_labels(origin, a, g)
    answer_id = a.id if origin == "pipeline" else f"{a.id}~{origin.split(':')[1]}"
    if origin != "pipeline" and answer_id in REVIEW:
        changes, why = REVIEW[answer_id]
        labels = labels | changes
    s = a.situation
    return {"id": answer_id,
            "kind": a.kind, "origin": origin, "question": a.question, "item": s.item,
            "tags": list(s.tags),
            "major": a.claimed_major if a.kind == "scan" else s.major,
            "middle": a.claimed_middle if a.kind == "scan" else s.middle,
            "steps": list(a.steps), "insufficiencies": list(a.insufficiencies),
            "reply": a.reply, "labels": labels, "rationale": why}  # fmt: skip


def main() -> None:
    kb = load_knowledge()
    engine = RuleEngine(kb)
    out = []
    for n, a in enumerate(_pipeline(kb)):
        g = ground(kb, engine, a.situation)
        out.append(entry("pipeline", a, g))
        out += [entry(f"flawed:{name}", v, g) for name, v in _flaws(kb, a, g, n)]
    out += HANDWRITTEN
    yaml.safe_dump({"answers": out}, sys.stdout, allow_unicode=True, sort_keys=False, width=200)


if __name__ == "__main__":
    main()
