"""The eval domain's pure model: what is graded (an answer and the situation it answers), the
criteria and their rubric, tier-1 check results and tier-2 judgements. No I/O here (the data
files are read by `data.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["scan", "chat"]
CRITERIA: tuple[str, ...] = ("accuracy", "local_rules", "safety", "helpfulness", "tone")
SCALE = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Situation:
    """What the answer is about, as the pipeline decided before the answer was written: the
    item (a `minor_category`, or None), its situation tags, and the categories it was filed
    under. The graders compare the answer with what the knowledge base says for this."""

    item: str | None
    tags: tuple[str, ...] = ()
    major: str | None = None
    middle: str | None = None


@dataclass(frozen=True)
class Answer:
    """One scan or chat answer as the user reads it.

    `steps` are the ordered disposal steps (scan: `disposal_steps`; chat: the Markdown's
    numbered list), `reply` is 이코's prose (scan: `user_answer`; chat: the whole Markdown),
    `claimed_major/middle` the category the answer files the item under, `raw` the payload as
    served (the scan result object, or the chat Markdown) for the shape check.
    """

    id: str
    kind: Kind
    question: str
    situation: Situation
    steps: tuple[str, ...]
    insufficiencies: tuple[str, ...]
    reply: str
    claimed_major: str | None
    claimed_middle: str | None
    raw: object = None

    @property
    def text(self) -> str:
        """Everything the user reads, in reading order: what evidence is quoted from."""
        if self.kind == "chat":
            return self.reply
        parts = [*self.steps, *self.insufficiencies, self.reply]
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Check:
    """A tier-1 result: `passed`, and when not, `detail` says what was wrong, in words."""

    name: str
    passed: bool
    detail: str = ""


class Level(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    behaviour: str = Field(min_length=1)
    anchor: str = Field(min_length=1)


class Criterion(BaseModel):
    """One criterion of the rubric: a question and five behaviourally anchored levels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str
    question: str
    scenario: str
    levels: dict[int, Level]

    def describe(self) -> str:
        """The rubric as the judge reads it: each point's behaviour and its anchor answer."""
        lines = [f"기준: {self.name} — {self.question}", f"앵커 상황: {self.scenario}"]
        for score in SCALE:
            level = self.levels[score]
            lines.append(f"{score}점: {level.behaviour}\n   예시 답변: {level.anchor}")
        return "\n".join(lines)


class Rubric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    criteria: tuple[Criterion, ...]

    def criterion(self, code: str) -> Criterion:
        for found in self.criteria:
            if found.code == code:
                return found
        raise KeyError(f"no criterion {code!r}; known: {[c.code for c in self.criteria]}")


@dataclass(frozen=True)
class Judgement:
    """A tier-2 score for one criterion, with the quotes from the answer that support it."""

    criterion: str
    score: int
    evidence: tuple[str, ...]
    rationale: str
    attempts: int = 1


@dataclass(frozen=True)
class Graded:
    """An answer with its tier-1 checks and its tier-2 judgements (criteria the judge could
    not grade are in `rejected`, with the reason)."""

    answer: Answer
    checks: tuple[Check, ...]
    judgements: Mapping[str, Judgement] = field(default_factory=dict)
    rejected: Mapping[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed_checks(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.checks if not c.passed)

    def scores(self) -> dict[str, int]:
        return {name: j.score for name, j in self.judgements.items()}
