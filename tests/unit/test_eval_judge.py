"""Tier 2 (functions/eval/judge.py): one criterion per call through the LLM port; a
judgement whose evidence is not quoted from the answer (or whose score is off the scale) is
rejected and asked again with the reason; the offline judge grades from observable features."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

import pytest

from functions.eval import graders, heuristic
from functions.eval.errors import JudgementRejected
from functions.eval.grounding import ground
from functions.eval.judge import Judge, JudgeOutput, problem
from functions.eval.model import CRITERIA
from functions.kit.llm.ledger import RunCost
from functions.kit.llm.port import ImageRequest, ImageResult, LLMRequest, LLMResult, Usage
from tests.unit.test_eval_graders import BY_ID, ENGINE, KB, offline_llm, wrong_bin


class ScriptedJudge:
    """An LLM that answers judge requests from a script, keeping every request it got."""

    def __init__(self, *outputs: Mapping[str, Any]) -> None:
        self._outputs = list(outputs)
        self.requests: list[LLMRequest] = []

    def check_model(self, model: str | None) -> str:
        return model or "scripted"

    async def generate(self, request: LLMRequest) -> LLMResult:
        self.requests.append(request)
        output = JudgeOutput.model_validate(self._outputs.pop(0))
        return LLMResult(output, "scripted", "scripted", Usage(1, 1), 0.0)

    def stream(self, request: LLMRequest, field: str = "text") -> AsyncIterator[str]:
        raise NotImplementedError

    async def draw(self, request: ImageRequest) -> ImageResult:
        raise NotImplementedError

    async def settle(self, job_id: str) -> RunCost:
        raise NotImplementedError


ANSWER = BY_ID["s-aa"]
GROUNDING = ground(KB, ENGINE, ANSWER.situation)
CHECKS = graders.grade(ANSWER, GROUNDING)
QUOTE = "종량제봉투에 넣지 말고"


def out(score: int, *evidence: str) -> dict[str, Any]:
    return {"score": score, "evidence": list(evidence), "rationale": "근거"}


async def test_a_quoted_judgement_is_accepted_in_one_call_per_criterion() -> None:
    llm = ScriptedJudge(out(5, QUOTE))
    found = await Judge(llm).judge(ANSWER, GROUNDING, CHECKS, "safety")
    assert (found.score, found.evidence, found.attempts) == (5, (QUOTE,), 1)
    assert [r.task for r in llm.requests] == ["eval.judge.safety"]
    prompt = llm.requests[0].prompt
    assert "기준: 안전" in prompt and "5점:" in prompt and "예시 답변" in prompt
    assert ANSWER.reply in prompt and "폐건전지" in prompt  # the answer and its rule document


async def test_evidence_not_in_the_answer_is_rejected_and_asked_again_with_the_reason() -> None:
    llm = ScriptedJudge(out(5, "배터리는 아무 데나 버려도 돼요"), out(4, QUOTE))
    found = await Judge(llm, attempts=2).judge(ANSWER, GROUNDING, CHECKS, "safety")
    assert (found.score, found.attempts) == (4, 2)
    assert "evidence not in the answer" in llm.requests[1].prompt
    assert "이전 채점이 거절됐어" not in llm.requests[0].prompt


@pytest.mark.parametrize(
    "bad",
    [out(5, "지어낸 인용"), out(7, QUOTE), out(0, QUOTE), out(3)],
    ids=["invented quote", "score 7", "score 0", "no evidence"],
)
async def test_a_judgement_rejected_every_time_leaves_the_criterion_ungraded(
    bad: dict[str, Any],
) -> None:
    llm = ScriptedJudge(bad, bad)
    with pytest.raises(JudgementRejected):
        await Judge(llm, attempts=2).judge(ANSWER, GROUNDING, CHECKS, "accuracy")
    assert len(llm.requests) == 2


def test_a_quote_respaced_by_the_model_still_counts() -> None:
    assert problem(JudgeOutput.model_validate(out(5, "종량제봉투에  넣지말고")), ANSWER) is None


async def test_judge_all_keeps_rejected_criteria_apart() -> None:
    script = [out(5, QUOTE)] * 4 + [out(5, "없는 말"), out(5, "없는 말")]
    judged, rejected = await Judge(ScriptedJudge(*script), attempts=2).judge_all(
        ANSWER, GROUNDING, CHECKS
    )
    assert list(judged) == list(CRITERIA[:4]) and list(rejected) == ["tone"]


async def test_the_offline_judge_goes_through_the_llm_port_and_quotes_the_answer() -> None:
    judged, rejected = await Judge(offline_llm()).judge_all(ANSWER, GROUNDING, CHECKS)
    assert rejected == {}
    assert {c: j.score for c, j in judged.items()}["accuracy"] == 5
    for j in judged.values():
        assert all(q in ANSWER.text for q in j.evidence)


async def test_the_offline_judge_scores_a_wrong_bin_low_and_quotes_the_wrong_sentence() -> None:
    broken = wrong_bin(ANSWER)
    checks = graders.grade(broken, GROUNDING)
    judged, _ = await Judge(offline_llm()).judge_all(broken, GROUNDING, checks)
    assert judged["accuracy"].score == 1
    assert judged["safety"].score == 1  # the battery warning went with the wrong steps


def test_the_offline_tone_score_follows_the_register() -> None:
    checks = {c.name: c for c in CHECKS}
    rude = replace(ANSWER, steps=("헹궈서 넣어.",), reply="그것도 몰라? 수거함에 넣어.")
    assert heuristic.tone(rude, GROUNDING, checks)[0] == 1
    stiff = replace(ANSWER, reply="폐건전지 수거함에 배출할 것을 권고합니다.")
    assert heuristic.tone(stiff, GROUNDING, checks)[0] == 3
