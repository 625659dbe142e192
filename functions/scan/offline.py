"""Deterministic answers for the offline LLM provider (the embedded default and the tests).

Vision cannot see without a model: it classifies from the user's text hint with the knowledge
base's Korean retriever (names, synonyms and rule documents; misspellings, spacing and particles
tolerated, see `knowledge.retrieval`), reads situation tags from the tags' keywords, and
otherwise says 미분류 with a clear message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eventing.events.scan import ClassificationData, RulingData
from functions.kit.llm.port import LLMRequest
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.knowledge.retrieval import retriever_for
from functions.scan.knowledge.taxonomy import UNCLASSIFIED

UNCLASSIFIED_MESSAGE = (
    "사진만으로는 어떤 품목인지 알 수 없었어요. 품목 이름을 메모로 함께 적어 주시면 "
    "정확히 알려 드릴게요."
)
GENERIC_STEPS = (
    "품목 이름을 메모에 적어 다시 촬영해 주세요.",
    "잘 모르겠다면 거주지 구청·주민센터의 배출 안내를 확인해 주세요.",
)


def tags_in(kb: KnowledgeBase, text: str) -> list[str]:
    """Situation tags the user's own words signal ("라벨 붙은" → 라벨_부착, unless they also
    say it was fixed: "라벨 뗐어요"), in the knowledge base's order (`tags_in_hint`, read on
    the text with its misspellings repaired)."""
    return list(retriever_for(kb).search(text, limit=0).tags)


def vision(kb: KnowledgeBase, user_input: str | None) -> Callable[[LLMRequest], Mapping[str, Any]]:
    def answer(request: LLMRequest) -> Mapping[str, Any]:
        del request
        found = retriever_for(kb).search(user_input or "", limit=1)
        best = found.best
        if best is None:
            return {
                "major_category": UNCLASSIFIED,
                "middle_category": UNCLASSIFIED,
                "minor_category": UNCLASSIFIED,
                "situation_tags": [],
            }
        # A rule document's category without a particular item: its display name stands in.
        document = kb.rule_for(best.major, best.middle)
        minor = best.item.name if best.item else document.display_name if document else best.middle
        return {
            "major_category": best.major,
            "middle_category": best.middle,
            "minor_category": minor,
            "situation_tags": list(found.tags),
        }

    return answer


def answer(
    classification: ClassificationData, ruling: RulingData
) -> Callable[[LLMRequest], Mapping[str, Any]]:
    def reply(request: LLMRequest) -> Mapping[str, Any]:
        del request
        if ruling.rule_key is None:
            text = classification.message or UNCLASSIFIED_MESSAGE
            return {"disposal_steps": list(GENERIC_STEPS), "user_answer": text}
        where = ruling.middle_category
        text = f"{classification.minor_category}은(는) '{where}'(으)로 분리배출하면 돼요."
        if ruling.insufficiencies:
            text += f" 먼저 고칠 점이 있어요: {' '.join(ruling.insufficiencies)}"
        else:
            text += " 지금 상태 그대로 잘 준비됐어요! 이코가 칭찬해요."
        return {"disposal_steps": list(ruling.disposal_steps), "user_answer": text}

    return reply
