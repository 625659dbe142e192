"""Events of the scan pipeline: vision → rule → answer → reward, each stage's reply the next
stage's trigger. Every event carries the job context and what the stages before it decided
(event-carried state), so a stage needs no lookup to do its work."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from eventing.catalog import EventData, EventSpec

REQUESTED = "kr.eco2.scan.requested.v1"
CLASSIFIED = "kr.eco2.scan.classified.v1"
RULED = "kr.eco2.scan.ruled.v1"
ANSWERED = "kr.eco2.scan.answered.v1"
COMPLETED = "kr.eco2.scan.completed.v1"
TYPE_PREFIX = "kr.eco2.scan."


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScanContext(_Part):
    job_id: str
    user_id: str
    image_url: str
    image_key: str
    content_type: str
    user_input: str | None = None
    model: str


class ClassificationData(_Part):
    major_category: str
    middle_category: str
    minor_category: str
    situation_tags: list[str] = []
    message: str | None = None  # why it could not classify (미분류)


class RulingData(_Part):
    rule_key: str | None
    disposal_rules: dict[str, Any] | None
    disposal_steps: list[str]
    insufficiencies: list[str]
    major_category: str  # after situation tags that reroute (e.g. soiled vinyl → general bag)
    middle_category: str


class AnswerData(_Part):
    disposal_steps: dict[str, str]  # {"단계1": ..., "단계2": ...} in order
    insufficiencies: list[str]
    user_answer: str


class ScanRequested(EventData):
    context: ScanContext


class ScanClassified(EventData):
    context: ScanContext
    classification: ClassificationData


class ScanRuled(EventData):
    context: ScanContext
    classification: ClassificationData
    ruling: RulingData


class ScanAnswered(EventData):
    context: ScanContext
    classification: ClassificationData
    ruling: RulingData
    answer: AnswerData


class ScanCompleted(EventData):
    job_id: str
    user_id: str
    reward_code: str | None  # the character granted for it, if any


def _spec(type_: str, stage: str, data: type[EventData], description: str) -> EventSpec:
    return EventSpec(
        type=type_, source=f"/eco2/scan/{stage}", data=data, version="v1", description=description
    )


EVENTS: tuple[EventSpec, ...] = (
    _spec(REQUESTED, "api", ScanRequested, "A user submitted a photo; vision picks it up."),
    _spec(CLASSIFIED, "vision", ScanClassified, "Vision named the item and its situation."),
    _spec(RULED, "rule", ScanRuled, "The rule engine matched the disposal rule document."),
    _spec(ANSWERED, "answer", ScanAnswered, "The answer stage wrote steps and a reply."),
    _spec(COMPLETED, "reward", ScanCompleted, "The result is stored and `done` was emitted."),
)
