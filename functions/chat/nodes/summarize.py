"""The summarize node: long histories are folded into a running summary before the answer.

It runs (between the aggregator and the answer, as the contract's stage order has it) when
the recent entries pass `MAX_TURNS` or half the chosen model's context window (estimated at
two characters per token, Korean's rough rate). The oldest entries, all but `KEEP`, are folded
into `summary` with the previous summary; the answer reads the summary and the rest. Offline,
the summary is the user's earlier questions, cut short. Fail-open: without it the answer sees
the recent entries (never more than `HARD_CAP`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from functions.chat.model import PLAN
from functions.chat.nodes.deps import AgentDeps
from functions.chat.state import FOLDED, MAX_TURNS, ChatState
from functions.kit.llm.port import LLMRequest
from functions.kit.progress import Progress

KEEP = 8  # entries kept verbatim after a fold
CHARS_PER_TOKEN = 2
SUMMARY_CHARS = 1_200
# Context windows in tokens, by model name prefix (the longest matching prefix wins).
CONTEXT_TOKENS: dict[str, int] = {
    "gpt-5": 400_000, "gemini": 1_000_000, "offline": 32_000, "": 128_000,
}  # fmt: skip
SYSTEM = (
    "대화의 앞부분을 한국어로 짧게 요약해. 사용자가 물은 것, 알려 준 사실(품목, 지역, 선호)만 "
    "남기고, 이전 요약이 있으면 합쳐."
)


class Summary(BaseModel):
    text: str


def window(model: str | None) -> int:
    name = (model or "").lower()
    return next(CONTEXT_TOKENS[p] for p in sorted(CONTEXT_TOKENS, key=len, reverse=True)
                if name.startswith(p))  # fmt: skip


def needs_summary(state: ChatState) -> str:
    """The edge after the aggregator: `summarize` for a long history, else `answer`."""
    history = state.get("history") or []
    chars = sum(len(t["content"]) for t in history)
    too_long = chars / CHARS_PER_TOKEN > window(state.get("model")) / 2
    return "summarize" if len(history) >= MAX_TURNS or too_long else "answer"


def offline_summary(previous: str, folded: list[dict[str, str]]) -> str:
    asked = [t["content"][:40] for t in folded if t["role"] == "user"]
    return " / ".join(p for p in (previous, *asked) if p)[-SUMMARY_CHARS:]


def make(deps: AgentDeps) -> Any:
    async def summarize(state: ChatState) -> dict[str, Any]:
        job_id, history = state["job_id"], state.get("history") or []
        folded, previous = history[: max(0, len(history) - KEEP)], state.get("summary") or ""
        said = "\n".join(f"{t['role']}: {t['content']}" for t in folded)

        async def fold() -> dict[str, Any]:
            result = await deps.llm.generate(
                LLMRequest(
                    task="chat.summarize", schema=Summary, system=SYSTEM,
                    prompt=f"이전 요약: {previous or '(없음)'}\n\n대화:\n{said}",
                    model=state.get("model"), job_id=job_id,
                    offline=lambda _: {"text": offline_summary(previous, folded)},
                )
            )  # fmt: skip
            return {"text": result.output_as(Summary).text.strip()[:SUMMARY_CHARS]}

        start, end = PLAN["summarize"]
        async with Progress(deps.bus, job_id).stage("summarize", start=start, end=end):
            outcome = await deps.runner.run("summarize", job_id, fold)
        if not outcome["ok"] or not folded:
            return {}
        marker = {"role": FOLDED, "content": str(len(folded))}
        return {"summary": (outcome["context"] or {})["text"], "history": [marker]}

    return summarize
