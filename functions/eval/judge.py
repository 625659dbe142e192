"""Tier 2: an LLM judge through the LLM port, one criterion per call.

Each call carries one criterion's rubric (five behaviourally anchored levels, an anchor answer
each), the rule document the answer should follow and the answer itself, and asks for a
structured output: a 1–5 score, verbatim quotes from the answer as evidence, a rationale. A
judgement whose score is off the scale, or whose evidence is not in the answer (a paraphrase,
an invented quote) is rejected and the judge is asked again, saying why; after `attempts`
the criterion stays ungraded (`JudgementRejected`), never guessed.

Offline, the request's deterministic answer is the heuristic judge (`heuristic.py`), so the
same code path runs in CI without a key.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from functions.eval import heuristic, korean
from functions.eval.data import rubric
from functions.eval.errors import JudgementRejected
from functions.eval.grounding import Grounding
from functions.eval.model import CRITERIA, SCALE, Answer, Check, Judgement
from functions.kit.llm.errors import LLMError
from functions.kit.llm.port import LLM, LLMRequest

SYSTEM = (
    "너는 한국 생활폐기물 분리배출 도우미 '이코'의 답변을 채점하는 엄격한 심사위원이야. "
    "주어진 기준 하나만 1~5점으로 채점해. 각 점수는 답변에서 관찰되는 행동으로 정해져 있으니 "
    "예시 답변과 비교해 가장 가까운 점수를 골라. 근거(evidence)에는 답변에서 한 글자도 바꾸지 "
    "않고 그대로 복사한 구절을 하나 이상 넣어. 빠진 내용 때문에 깎았다면 그 내용이 있어야 할 "
    "자리의 구절을 인용해. 규칙 문서에 없는 것은 사실로 인정하지 마."
)


class JudgeOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: int = Field(description="1, 2, 3, 4 or 5")
    evidence: list[str] = Field(description="verbatim quotes copied from the answer")
    rationale: str = Field(description="one or two sentences: why this score")


def prompt(answer: Answer, grounding: Grounding, criterion: str, note: str = "") -> str:
    document = grounding.document
    rule = (
        f"{document.display_name} ({grounding.major} / {grounding.middle})\n"
        + "\n".join(f"- {s}" for s in grounding.expected_steps)
        if document
        else "(맞는 규칙 문서 없음: 품목을 알 수 없음)"
    )
    tags = ", ".join(grounding.tags) or "없음"
    lacks = ", ".join(grounding.insufficiencies) or "없음"
    retry = f"\n\n주의: 이전 채점이 거절됐어: {note}" if note else ""
    return (
        f"{rubric().criterion(criterion).describe()}\n\n"
        f"사용자 질문/메모: {answer.question or '(없음)'}\n"
        f"지식베이스 규칙 문서:\n{rule}\n상황 태그: {tags}\n미흡한 점: {lacks}\n\n"
        f"채점할 답변:\n<<<\n{answer.text}\n>>>{retry}"
    )


def problem(output: JudgeOutput, answer: Answer) -> str | None:
    """Why a judgement cannot be accepted, or None: the score on the scale, and every quote
    found in the answer (spacing aside — models re-space Korean)."""
    if output.score not in SCALE:
        return f"score {output.score} is not one of {SCALE}"
    quotes = [q for q in output.evidence if q.strip()]
    if not quotes:
        return "no evidence quoted from the answer"
    text = korean.squeeze(answer.text)
    invented = [q for q in quotes if korean.squeeze(q) not in text]
    if invented:
        return f"evidence not in the answer: {invented[0][:60]!r}"
    return None


class Judge:
    def __init__(self, llm: LLM, model: str | None = None, attempts: int = 2) -> None:
        self._llm = llm
        self._model = model
        self._attempts = max(1, attempts)

    async def judge(
        self, answer: Answer, grounding: Grounding, checks: list[Check], criterion: str
    ) -> Judgement:
        """One criterion, one call (again, with the reason, while it is rejected)."""
        note = ""
        for attempt in range(1, self._attempts + 1):
            request = LLMRequest(
                task=f"eval.judge.{criterion}", schema=JudgeOutput, system=SYSTEM,
                prompt=prompt(answer, grounding, criterion, note), model=self._model,
                offline=lambda _r: heuristic.judge(criterion, answer, grounding, checks),
                job_id=f"eval-{answer.id}",
            )  # fmt: skip
            output = (await self._llm.generate(request)).output_as(JudgeOutput)
            found = problem(output, answer)
            if found is None:
                return Judgement(criterion, output.score, tuple(output.evidence),
                                 output.rationale, attempt)  # fmt: skip
            note = found
        raise JudgementRejected(f"{criterion} for {answer.id}: {note}")

    async def judge_all(
        self, answer: Answer, grounding: Grounding, checks: list[Check]
    ) -> tuple[dict[str, Judgement], dict[str, str]]:
        """Every criterion; those that could not be graded, with why, kept apart."""
        judged: dict[str, Judgement] = {}
        rejected: dict[str, str] = {}
        for criterion in CRITERIA:
            try:
                judged[criterion] = await self.judge(answer, grounding, checks, criterion)
            except (JudgementRejected, LLMError) as exc:
                rejected[criterion] = str(exc)
        return judged, rejected
