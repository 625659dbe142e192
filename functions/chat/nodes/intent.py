"""The intent node: a keyword prefilter, then the model's structured answer.

The prefilter's intents go to the model as a hint and are the offline provider's answer (and
what the run uses when the model fails: the intent policy is `fallback`). A message may carry
several intents; each becomes a branch of the fan-out.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from functions.chat.model import INTENTS, PLAN
from functions.chat.nodes.deps import AgentDeps
from functions.chat.state import ChatState
from functions.kit.llm.port import LLMRequest
from functions.kit.progress import Progress

Intent = Literal[
    "waste", "character", "location", "bulk_waste", "recyclable_price",
    "collection_point", "weather", "image_generation", "web_search", "general",
]  # fmt: skip

# Words that signal an intent, compared without spaces. Order is the answer's order.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "waste": ("버려", "버리", "버릴", "분리배출", "분리수거", "재활용", "쓰레기", "배출",
              "페트병", "종량제", "음식물"),
    "bulk_waste": ("대형폐기물", "가구", "소파", "침대", "매트리스", "장롱", "책상", "스티커",
                   "수거신청"),
    "collection_point": ("수거함", "건전지", "배터리", "형광등", "폐의약품", "약버", "폐가전",
                         "헌옷", "의류수거"),
    "location": ("제로웨이스트", "리필", "가게", "매장", "샵", "재활용센터", "어디서사"),
    "recyclable_price": ("가격", "시세", "단가", "매입", "kg당", "키로당", "고물"),
    "weather": ("날씨", "비오", "비와", "눈오", "기온", "우산", "장마"),
    "character": ("캐릭터", "캐릭", "이코", "페티", "모을", "모으"),
    "image_generation": ("그려", "그림", "이미지만들", "이미지생성"),
    "web_search": ("뉴스", "최신", "정책", "요즘", "최근", "검색"),
}  # fmt: skip
SYSTEM = (
    "You route messages of a Korean waste-sorting assistant. Pick every intent the user's "
    "message carries, most important first, from: " + ", ".join(INTENTS) + ". "
    "waste = how to dispose of an item; collection_point = special bins (batteries, lamps, "
    "medicines, clothes, e-waste); bulk_waste = furniture and appliances needing a sticker; "
    "general = anything else."
)


class IntentOutput(BaseModel):
    intents: list[Intent] = Field(min_length=1, max_length=4)


def prefilter(message: str) -> list[str]:
    """Intents whose keywords the message contains (spacing ignored); `general` if none.
    Bulky items are not ordinary waste: bulk_waste drops a waste hit."""
    text = "".join(message.split()).lower()
    found = [intent for intent, words in KEYWORDS.items() if any(w in text for w in words)]
    if "bulk_waste" in found and "waste" in found:
        found.remove("waste")
    return found or ["general"]


def make(deps: AgentDeps) -> Any:
    async def intent(state: ChatState) -> dict[str, Any]:
        job_id, message = state["job_id"], state["message"]
        hint = prefilter(message)
        start, end = PLAN["intent"]

        async def classify() -> dict[str, Any]:
            result = await deps.llm.generate(
                LLMRequest(
                    task="chat.intent", schema=IntentOutput, system=SYSTEM,
                    prompt=f"메시지: {message}\n키워드 힌트: {', '.join(hint)}",
                    model=state.get("model"), offline=lambda _: {"intents": hint},
                    job_id=job_id,
                )
            )  # fmt: skip
            return {"intents": list(result.output_as(IntentOutput).intents)}

        async with Progress(deps.bus, job_id).stage("intent", start=start, end=end) as stage:
            outcome = await deps.runner.run("intent", job_id, classify)
            context = outcome["context"] if outcome["ok"] else None
            intents = list(dict.fromkeys((context or {}).get("intents") or hint))
            stage.say(", ".join(intents))
        return {"intents": intents}

    return intent
