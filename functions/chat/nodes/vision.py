"""The vision node, run first when a photo is attached: the model names the item in it, and
waste_rag, character and collection_point read that name along with the message.

The photo is read from our own store and sent inline (never a URL, ADR 0010). Offline, no
model sees: the item is what the message names, if anything. The policy is fail-open: without
vision the run answers from the words alone.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from functions.chat.model import PLAN
from functions.chat.nodes.deps import AgentDeps
from functions.chat.state import ChatState
from functions.images.model import looks_like
from functions.kit.llm.port import ImageInput, LLMRequest
from functions.kit.progress import Progress

SYSTEM = (
    "사진 속 버릴 물건 하나의 이름을 한국어 일반 명칭으로 답해 (예: 음료 페트병, 우유팩). "
    "알 수 없으면 빈 문자열."
)


class VisionGuess(BaseModel):
    item: str


def has_image(state: ChatState) -> str:
    """The edge after START: vision first when a photo came with the message."""
    return "vision" if state.get("image_key") else "intent"


def make(deps: AgentDeps) -> Any:
    async def vision(state: ChatState) -> dict[str, Any]:
        job_id, key = state["job_id"], state.get("image_key")
        start, end = PLAN["vision"]

        async def look() -> dict[str, Any] | None:
            if key is None or deps.images is None:
                return None
            data, content_type = await deps.images.get(key)
            if not looks_like(content_type, data[:16]):
                return None
            hint = deps.offline_item(state["message"])
            result = await deps.llm.generate(
                LLMRequest(
                    task="chat.vision", schema=VisionGuess, system=SYSTEM,
                    prompt=f"사용자 메시지: {state['message']}", model=state.get("model"),
                    image=ImageInput(data=data, mime_type=content_type),
                    offline=lambda _: {"item": hint}, job_id=job_id,
                )
            )  # fmt: skip
            item = result.output_as(VisionGuess).item.strip()
            return {"item": item} if item else None

        async with Progress(deps.bus, job_id).stage("vision", start=start, end=end) as stage:
            outcome = await deps.runner.run("vision", job_id, look)
            seen = outcome["context"] if outcome["ok"] else None
            stage.say((seen or {}).get("item"))
        return {"vision": seen}

    return vision
