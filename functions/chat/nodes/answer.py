"""The answer node: 이코 writes the reply from the aggregated contexts, streamed token by
token onto the run's event stream (`token` events share the job's seq with the stages).

The text is returned to the graph; the agent stores it as the assistant message before the
run's `done` (the client fetches nothing else)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from functions.chat import offline
from functions.chat.model import PLAN
from functions.chat.nodes.deps import AgentDeps
from functions.chat.state import ChatState
from functions.kit.llm.port import LLMRequest
from functions.kit.progress import Progress

SYSTEM = (
    "너는 한국의 분리배출 도우미 캐릭터 '이코'야. 친근한 존댓말로, Markdown으로 답해. "
    "주어진 컨텍스트(JSON)에 있는 사실만 말하고, 없는 정보(missing)는 없다고 솔직히 말해. "
    "분리배출 단계는 번호 목록으로 써."
)


class ChatAnswer(BaseModel):
    text: str


def prompt(state: ChatState) -> str:
    turns = "\n".join(f"{t['role']}: {t['content']}" for t in state.get("history") or [])
    contexts = json.dumps(state.get("contexts") or {}, ensure_ascii=False)
    return (
        f"이전 대화:\n{turns or '(없음)'}\n\n컨텍스트: {contexts}\n"
        f"missing: {state.get('missing') or []}\n\n사용자: {state['message']}"
    )


def make(deps: AgentDeps) -> Any:
    async def answer(state: ChatState) -> dict[str, Any]:
        job_id = state["job_id"]
        progress = Progress(deps.bus, job_id)
        start, end = PLAN["answer"]
        await progress.emit("answer", "started", progress=start)
        written = offline.compose(state["message"], state.get("contexts") or {},
                                  state.get("missing") or [])  # fmt: skip
        request = LLMRequest(
            task="chat.answer", schema=ChatAnswer, system=SYSTEM, prompt=prompt(state),
            model=state.get("model"), offline=lambda _: {"text": written}, job_id=job_id,
        )  # fmt: skip
        parts: list[str] = []

        async def write() -> dict[str, Any]:
            async for delta in deps.llm.stream(request, "text"):
                parts.append(delta)
                await progress.token(delta, node="answer")
            return {"text": "".join(parts)}

        try:
            outcome = await deps.runner.run("answer", job_id, write)
        except Exception:
            await progress.emit("answer", "failed", message="답변을 쓰지 못했어요")
            raise
        text = str((outcome["context"] or {}).get("text") or "")
        await progress.emit("answer", "completed", progress=end)
        turns = [{"role": "user", "content": state["message"]},
                 {"role": "assistant", "content": text}]  # fmt: skip
        return {"answer": text, "history": turns}

    return answer
