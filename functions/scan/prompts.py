"""What the scan stages ask the LLM, and the structured output they require.

The allowed category names are enums in the schema, so a provider with strict structured
output cannot answer a middle category the client does not know; the stages still check.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from eventing.events.scan import ClassificationData, RulingData
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.knowledge.taxonomy import MAJORS, RECYCLABLE, RECYCLABLE_MIDDLES

MIDDLES = (*RECYCLABLE_MIDDLES, *(m for m in MAJORS if m != RECYCLABLE))


class VisionOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    major_category: str = Field(json_schema_extra={"enum": list(MAJORS)})
    middle_category: str = Field(json_schema_extra={"enum": list(MIDDLES)})
    minor_category: str = Field(description="the item's name from the item list, or 미분류")
    situation_tags: list[str] = Field(description="codes from the situation tag list")


class AnswerOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disposal_steps: list[str] = Field(description="ordered steps, used when no rule matched")
    user_answer: str = Field(description="a short, friendly reply in the persona of 이코")


def vision_system(kb: KnowledgeBase) -> str:
    items = ", ".join(f"{i.name}({i.middle})" for i in kb.items)
    tags = ", ".join(sorted(kb.tag_codes()))
    return (
        "너는 한국의 생활폐기물 분리배출 전문가야. 사진 속 물건 하나를 분류해.\n"
        f"대분류는 {', '.join(MAJORS)} 중 하나. 재활용폐기물이면 중분류는 "
        f"{', '.join(RECYCLABLE_MIDDLES)} 중 하나, 아니면 중분류는 대분류와 같아.\n"
        f"소분류는 다음 품목 중 가장 가까운 이름: {items}.\n"
        f"사진에서 보이는 상태를 다음 태그로 표시해(해당하는 것만): {tags}.\n"
        "확신할 수 없으면 대분류·중분류·소분류 모두 미분류."
    )


def vision_prompt(user_input: str | None) -> str:
    hint = user_input.strip() if user_input else ""
    return f"사용자 메모: {hint}" if hint else "사용자 메모 없음. 사진만 보고 분류해."


ANSWER_SYSTEM = (
    "너는 분리배출 도우미 캐릭터 '이코'야. 친근한 반말 대신 다정한 존댓말로, 두세 문장으로 "
    "어떻게 버리면 되는지 알려 줘. 잘못된 점(미흡한 점)이 있으면 먼저 고칠 점을 말해 줘. "
    "규칙 문서가 주어지면 그 단계를 그대로 따르고, 없으면 disposal_steps에 일반적인 단계를 써."
)


def answer_prompt(classification: ClassificationData, ruling: RulingData) -> str:
    steps = "\n".join(f"- {s}" for s in ruling.disposal_steps) or "- (규칙 없음)"
    lacks = ", ".join(ruling.insufficiencies) or "없음"
    return (
        f"품목: {classification.minor_category} "
        f"({ruling.major_category} / {ruling.middle_category})\n"
        f"상황 태그: {', '.join(classification.situation_tags) or '없음'}\n"
        f"미흡한 점: {lacks}\n배출 단계:\n{steps}"
    )
