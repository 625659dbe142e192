"""The sub-agents that are tools of the model's provider: `web_search` (the provider's native
search: OpenAI's `web_search` tool, Gemini's google_search grounding) and `image_generation`
(Gemini's image model, the picture stored through the images domain's object store).

Offline neither has a network: the search answers "no web results" (None), deterministically,
so the aggregator's fallback chain moves on; the drawing is a small placeholder PNG drawn by
the offline provider, stored and shown like a real one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import BaseModel

from functions.chat.ports import Context
from functions.images.model import new_key
from functions.images.ports import ObjectStore
from functions.kit.llm.port import LLM, ImageRequest, LLMRequest

SEARCH_SYSTEM = (
    "너는 한국의 분리배출·환경 정책 뉴스를 찾는 검색 도우미야. 웹에서 찾은 최신 사실만 "
    "3문장 이내의 한국어로 요약하고, 찾지 못했으면 빈 문자열만 답해."
)
DRAW_STYLE = (
    "A warm, friendly flat illustration for a Korean recycling app, soft colours, no text "
    "in the picture. Draw: "
)
NO_RESULTS: dict[str, str] = {"text": ""}  # the offline search: nothing found on no web
DRAWING_NAMESPACE = uuid.UUID("9b0f3c52-58d4-4c7e-8d0c-3f4f7a1e2b6d")


class SearchAnswer(BaseModel):
    text: str


@dataclass(frozen=True)
class ProviderWebSearch:
    llm: LLM

    async def search(self, text: str, model: str | None, job_id: str) -> Context | None:
        request = LLMRequest(
            task="chat.web_search", schema=SearchAnswer, system=SEARCH_SYSTEM, prompt=text,
            model=model, web_search=True, offline=lambda _: NO_RESULTS, job_id=job_id,
        )  # fmt: skip
        result = await self.llm.generate(request)
        summary = result.output_as(SearchAnswer).text.strip()
        if not summary and not result.sources:
            return None  # no web results: the chain goes on
        results = [{"title": s.title, "url": s.url, "snippet": ""} for s in result.sources]
        return {"summary": summary, "results": results, "provider": result.provider}


@dataclass(frozen=True)
class ImageGeneration:
    llm: LLM
    store: ObjectStore
    model: str  # Gemini's image model, or "offline" where Gemini is not configured

    async def draw(self, user_id: str, text: str, job_id: str) -> Context | None:
        """One picture per run: its key derives from the job, so a resumed run overwrites
        the same object instead of leaving a second one."""
        request = ImageRequest(task="chat.image", prompt=DRAW_STYLE + text, model=self.model,
                               job_id=job_id)  # fmt: skip
        picture = await self.llm.draw(request)
        token = uuid.uuid5(DRAWING_NAMESPACE, job_id).hex
        key = new_key("chat", user_id, picture.mime_type, token)
        stored = await self.store.put(key, picture.data, picture.mime_type)
        return {"image_url": self.store.public_url(stored.key), "key": stored.key,
                "caption": picture.text, "model": picture.model}  # fmt: skip
