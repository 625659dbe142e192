"""The answer node: 이코 writes the reply from the aggregated contexts, streamed token by
token onto the run's event stream (`token` events share the job's seq with the stages).

The text is returned to the graph; the agent stores it as the assistant message before the
run's `done` (the client fetches nothing else)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel

from functions.chat import offline
from functions.chat.model import PLAN
from functions.chat.nodes.batching import TokenBatcher
from functions.chat.nodes.deps import AgentDeps
from functions.chat.state import ChatState
from functions.kit.llm.port import LLMRequest
from functions.kit.progress import Progress

log = logging.getLogger(__name__)
Rewrite = Callable[[str], Awaitable[object]]
SYSTEM = (
    "너는 한국의 분리배출 도우미 캐릭터 '이코'야. 친근한 존댓말로, Markdown으로 답해. "
    "주어진 컨텍스트(JSON)에 있는 사실만 말하고, 없는 정보(missing)는 없다고 솔직히 말해. "
    "분리배출 단계는 번호 목록으로 써. image_generation의 image_url은 Markdown 이미지로 "
    "보여 주고, web_search의 소식은 출처 링크와 함께 말해."
)


class ChatAnswer(BaseModel):
    text: str


def prompt(state: ChatState) -> str:
    turns = "\n".join(f"{t['role']}: {t['content']}" for t in state.get("history") or [])
    contexts = json.dumps(state.get("contexts") or {}, ensure_ascii=False)
    return (
        f"앞선 대화 요약: {state.get('summary') or '(없음)'}\n"
        f"이전 대화:\n{turns or '(없음)'}\n\n컨텍스트: {contexts}\n"
        f"missing: {state.get('missing') or []}\n\n사용자: {state['message']}"
    )


class Continuation:
    """Publishes a re-run's tokens after what the stream already showed: a run resumed after
    a crash mid-answer writes the answer again (the offline model the same text; a real
    model usually not). While the new text repeats the shown prefix nothing goes out, then
    only what is past it, so the client's text continues instead of doubling. If the new
    text departs from the shown one (or ends inside it), the shown text is *replaced*: one
    `token_recovery` with the new text so far, the contract's "replaces the visible text",
    then its remaining tokens. The client ends with exactly the stored answer."""

    def __init__(self, out: TokenBatcher, rewrite: Rewrite, job_id: str, shown: str) -> None:
        self._out = out
        self._rewrite = rewrite
        self._job_id = job_id
        self._shown = shown  # "" once this run's text is what the client shows
        self._sent = len(shown)
        self.text = ""

    async def add(self, delta: str) -> None:
        self.text += delta
        if self._shown and not self._shown.startswith(self.text[: len(self._shown)]):
            await self._replace("departs from")
            return
        if len(self.text) > self._sent:
            self._shown = ""
            await self._out.add(self.text[self._sent :])
            self._sent = len(self.text)

    async def finish(self) -> None:
        """The new text ended inside the shown one: the client must not keep the rest."""
        if self._shown and self.text != self._shown:
            await self._replace("ends inside")

    async def _replace(self, how: str) -> None:
        log.warning("job %s: the re-written answer %s the one shown; replacing it",
                    self._job_id, how)  # fmt: skip
        self._shown = ""  # nothing of this run was sent yet: the rewrite goes out first
        await self._rewrite(self.text)
        self._sent = len(self.text)


def make(deps: AgentDeps) -> Any:
    async def answer(state: ChatState) -> dict[str, Any]:
        job_id = state["job_id"]
        written = offline.compose(state["message"], state.get("contexts") or {},
                                  state.get("missing") or [],
                                  located=state.get("location") is not None)  # fmt: skip
        request = LLMRequest(
            task="chat.answer", schema=ChatAnswer, system=SYSTEM, prompt=prompt(state),
            model=state.get("model"), offline=lambda _: {"text": written}, job_id=job_id,
        )  # fmt: skip
        progress = Progress(deps.bus, job_id)
        shown = await deps.bus.token_snapshot(job_id)

        async def write() -> dict[str, Any]:
            out = TokenBatcher(lambda text: progress.token(text, node="answer"),
                               deps.token_window_s)  # fmt: skip
            tokens = Continuation(out, lambda text: progress.rewrite(text, node="answer"),
                                  job_id, shown.accumulated if shown else "")  # fmt: skip
            try:
                async for delta in deps.llm.stream(request, "text"):
                    await tokens.add(delta)
                await tokens.finish()
            except BaseException:
                await out.abort()
                raise
            await out.close()
            return {"text": tokens.text}

        start, end = PLAN["answer"]
        async with progress.stage("answer", start=start, end=end):  # fail-closed: `failed`
            outcome = await deps.runner.run("answer", job_id, write)
        text = str((outcome["context"] or {}).get("text") or "")
        turns = [{"role": "user", "content": state["message"]},
                 {"role": "assistant", "content": text}]  # fmt: skip
        return {"answer": text, "history": turns}

    return answer
