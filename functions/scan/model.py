"""The scan domain's pure model: a job, the stage plan, and the result the client renders.

The result shape is the contract's (`http-api.md`, Scan): built here once so the stored
result, the `done` event and `GET /scan/{id}/result` can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from eventing.bus.port import JobKind
from eventing.events.scan import AnswerData, ClassificationData, RulingData

JobStatus = Literal["queued", "completed", "failed"]
KIND: JobKind = "scan"

# Progress (percent) at each stage's start and end, as the client's progress bar shows it.
PLAN: dict[str, tuple[int, int]] = {
    "vision": (10, 40),
    "rule": (45, 55),
    "answer": (60, 85),
    "reward": (90, 95),
}
# The stage each scan function runs, for ending a job whose function gave up.
STAGE_OF_FUNCTION = {
    "scan-vision": "vision",
    "scan-rule": "rule",
    "scan-answer": "answer",
    "scan-reward": "reward",
}
COMPLETED_MESSAGE = "분석이 완료되었어요."
FAILED_MESSAGE = "분석에 실패했어요. 잠시 후 다시 시도해 주세요."


@dataclass(frozen=True, slots=True)
class ScanJob:
    id: str
    user_id: str
    image_url: str
    image_key: str
    content_type: str
    user_input: str | None
    model: str
    status: JobStatus
    result: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status != "queued"


@dataclass(frozen=True, slots=True)
class Reward:
    code: str
    name: str
    dialog: str
    type: str
    match_reason: str

    def as_contract(self) -> dict[str, str]:
        return {
            "name": self.name,
            "dialog": self.dialog,
            "match_reason": self.match_reason,
            "type": self.type,
        }


def completed_result(
    job_id: str,
    classification: ClassificationData,
    ruling: RulingData,
    answer: AnswerData,
    reward: Reward | None,
) -> dict[str, Any]:
    """The final result, every field the client renders; `reward` is an explicit null."""
    return {
        "task_id": job_id,
        "status": "completed",
        "message": COMPLETED_MESSAGE,
        "pipeline_result": {
            "classification_result": {
                "classification": {
                    "major_category": ruling.major_category,
                    "middle_category": ruling.middle_category,
                    "minor_category": classification.minor_category,
                },
                "situation_tags": list(classification.situation_tags),
            },
            "disposal_rules": ruling.disposal_rules,
            "final_answer": {
                "disposal_steps": dict(answer.disposal_steps),
                "insufficiencies": list(answer.insufficiencies),
                "user_answer": answer.user_answer,
            },
        },
        "reward": reward.as_contract() if reward else None,
    }


def failed_result(job_id: str, stage: str, code: str, detail: str) -> dict[str, Any]:
    """What a job that failed for good reports: which stage, and why, in the error format."""
    return {
        "task_id": job_id,
        "status": "failed",
        "message": FAILED_MESSAGE,
        "pipeline_result": None,
        "reward": None,
        "error": {"stage": stage, "code": code, "detail": detail},
    }
