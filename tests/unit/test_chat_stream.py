"""A run's event stream, event by event, against the contract's Chat SSE section: named
stages with progress, tokens sharing the job's seq, the stored answer before `done`; the
breaker; the LLM port's streaming (deltas, usage from the terminal chunk)."""

from __future__ import annotations

from typing import Any

from functions.chat.agent import respond
from functions.chat.nodes.answer import ChatAnswer
from functions.chat.policies import Breakers, FailMode, NodePolicy
from functions.chat.runner import Runner
from functions.kit.llm.client import LLMClient
from functions.kit.llm.offline_provider import OfflineProvider
from functions.kit.llm.port import LLMRequest, LLMResult, Usage
from functions.kit.llm.usage import MemoryUsageRecorder
from tests.support.chat import no_sleep, rig, stream_of, submit

STAGE_KEYS = {"job_id", "stage", "status", "seq", "progress"}


async def test_a_run_streams_stages_tokens_and_done_per_the_contract() -> None:
    r = rig()
    data = await submit(r, "우유팩 어떻게 버려?")
    await respond(data, r.bus, r.repo, r.agent)
    events = await stream_of(r.bus, data.job_id)
    seqs = [d["seq"] for _, d in events]
    assert seqs == list(range(1, len(events) + 1))  # one ordering, no gap, no duplicate
    names = [(n, d.get("status")) for n, d in events if n != "token"]
    assert names[:3] == [("queued", "completed"), ("intent", "started"), ("intent", "completed")]
    branches = names[3:7]
    both = [(n, s) for n in ("waste_rag", "weather") for s in ("started", "completed")]
    assert sorted(branches) == sorted(both)
    tail = [("aggregator", "started"), ("aggregator", "completed"), ("answer", "started")]
    assert names[7:] == [*tail, ("answer", "completed"), ("done", "completed")]
    for name, body in events:
        if name == "token":
            assert set(body) == {"content", "seq", "node"} and body["node"] == "answer"
        else:
            assert set(body) >= STAGE_KEYS and body["stage"] == name
            assert body["job_id"] == data.job_id
    progress = [d["progress"] for n, d in events if n != "token"]
    assert progress == sorted(progress) and progress[-1] == 100
    tokens = [(i, d) for i, (n, d) in enumerate(events) if n == "token"]
    answer_at = [i for i, (n, d) in enumerate(events) if n == "answer"]
    assert len(tokens) > 5 and answer_at[0] < tokens[0][0] < tokens[-1][0] < answer_at[1]
    done = events[-1][1]
    text = "".join(d["content"] for _, d in tokens)
    assert done["result"]["answer"] == text and done["result"]["intent"] == "waste"
    check_persistence(done["result"]["persistence"], data.model_dump())
    stored = await r.repo.message(done["result"]["persistence"]["assistant_message"])
    assert stored is not None and stored.content == text and stored.role == "assistant"
    snapshot = await r.bus.token_snapshot(data.job_id)
    assert snapshot is not None and snapshot.accumulated == text


def check_persistence(found: dict[str, Any], data: dict[str, Any]) -> None:
    assert set(found) == {"conversation_id", "user_id", "user_message", "assistant_message",
                          "assistant_message_created_at"}  # fmt: skip
    assert found["conversation_id"] == data["conversation_id"]
    assert (found["user_id"], found["user_message"]) == (data["user_id"], data["user_message_id"])
    assert found["assistant_message"] and found["assistant_message_created_at"]


async def test_the_breaker_opens_after_five_failures_and_half_opens_after_sixty_seconds() -> None:
    now = [0.0]
    policy = NodePolicy(timeout_s=1, retries=0, fail=FailMode.OPEN)
    runner = Runner(Breakers({"weather": policy}, clock=lambda: now[0]), sleep=no_sleep)
    calls = 0

    async def down() -> dict[str, Any] | None:
        nonlocal calls
        calls += 1
        raise RuntimeError("KMA down")

    for _ in range(5):
        assert not (await runner.run("weather", "j", down))["ok"]
    assert calls == 5
    shut = await runner.run("weather", "j", down)
    assert (shut["ok"], shut["error"], calls) == (False, "circuit open", 5)  # not called
    now[0] = 61.0

    async def up() -> dict[str, Any] | None:
        return {"sky": "맑음"}

    probe = await runner.run("weather", "j", up)
    assert probe["ok"] and probe["context"] == {"sky": "맑음"}


async def test_the_offline_provider_streams_word_by_word_and_records_usage_once() -> None:
    usage = MemoryUsageRecorder()
    llm = LLMClient({"offline": OfflineProvider()}, allowed_models=["offline"],
                    default_model="offline", usage=usage)  # fmt: skip
    said = {"text": "우유팩은 헹궈서 말려요."}
    request = LLMRequest(task="chat.answer", schema=ChatAnswer, system="s", prompt="p",
                         offline=lambda _: said, job_id="j")  # fmt: skip
    deltas = [d async for d in llm.stream(request, "text")]
    assert deltas == ["우유팩은", " 헹궈서", " 말려요."]
    assert [(r.task, r.ok) for r in usage.records] == [("chat.answer", True)]
    assert usage.records[0].output_tokens > 0


class StructuredOnly:
    """A provider without streaming (the OpenAI and Gemini adapters today)."""

    name = "openai"

    async def generate(self, request: LLMRequest, model: str) -> LLMResult:
        return LLMResult(output=ChatAnswer(text="한 번에 온 답"), provider=self.name, model=model,
                         usage=Usage(10, 5), latency_s=0.0)  # fmt: skip


async def test_a_provider_without_streaming_answers_in_one_delta() -> None:
    usage = MemoryUsageRecorder()
    llm = LLMClient({"openai": StructuredOnly()}, allowed_models=["gpt-5-mini"],
                    default_model="gpt-5-mini", usage=usage)  # fmt: skip
    request = LLMRequest(task="chat.answer", schema=ChatAnswer, system="s", prompt="p")
    assert [d async for d in llm.stream(request, "text")] == ["한 번에 온 답"]
    assert [(r.provider, r.output_tokens) for r in usage.records] == [("openai", 5)]
