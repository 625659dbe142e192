"""Events of the eval domain: a sampled production answer was graded (the online grader's
metrics, one event per graded answer; dashboards and alerts read them)."""

from __future__ import annotations

from typing import Literal

from eventing.catalog import EventData, EventSpec

GRADED = "kr.eco2.eval.graded.v1"


class AnswerGraded(EventData):
    job_id: str
    kind: Literal["scan", "chat"]
    failed_checks: list[str]  # tier-1 checks the answer failed (empty: all passed)
    scores: dict[str, int]  # tier-2 score per criterion the judge could grade
    rejected: list[str]  # criteria whose judgement was rejected (evidence not in the answer)
    judge_model: str


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        type=GRADED,
        source="/eco2/eval/grade",
        data=AnswerGraded,
        version="v1",
        description="A sampled scan or chat answer was graded (tier-1 checks, judge scores).",
    ),
)
