"""The agent's graph on offline sources: a test per intent, the multi-intent fan-out (proven
parallel), enrichment, the fallback chain, each failure policy, and a redelivered run."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from eventing.events.chat import SUBMITTED
from eventing.events.mesh import DeadLettered, Ping
from functions.chat import cli, forget
from functions.chat.agent import ChatAgent, assistant_message_id, failed, respond
from functions.chat.graph import build
from functions.chat.nodes.router import plan
from functions.chat.policies import Breakers, FailMode, NodePolicy
from functions.images.blob_stores import MemoryBlobStore
from functions.images.local_store import LocalObjectStore
from functions.kit.llm.client import LLMClient
from functions.kit.llm.offline_provider import OfflineProvider
from functions.kit.llm.port import LLMRequest
from functions.kit.llm.usage import MemoryUsageRecorder
from functions.kit.settings import Settings
from tests.support.chat import (
    SEOUL,
    BrokenStreamLLM,
    Calls,
    Wrapped,
    offline_llm,
    policies,
    rig,
    sources,
    stages,
    stream_of,
    submit,
)
from tests.support.photos import png_1x1

INTENT_CASES = [
    ("우유팩 어떻게 버려?", None, "waste", "waste_rag"),
    ("페티 캐릭터는 어떻게 모을 수 있어?", None, "character", "character"),
    ("근처 제로웨이스트 가게 알려줘", SEOUL, "location", "location"),
    ("소파 버리려면 어떻게 해?", None, "bulk_waste", "bulk_waste"),
    ("고철 시세 알려줘", None, "recyclable_price", "recyclable_price"),
    ("폐건전지 수거함 어디 있어?", SEOUL, "collection_point", "collection_point"),
    ("날씨 어때?", None, "weather", "weather"),
    ("이코 그림 그려줘", None, "image_generation", "image_generation"),
    ("분리배출 정책 뉴스 알려줘", None, "web_search", "web_search"),
    ("안녕 반가워", None, "general", "general"),
]


@pytest.mark.parametrize(("text", "where", "intent", "node"), INTENT_CASES)
async def test_each_intent_runs_its_node(
    text: str, where: dict[str, float] | None, intent: str, node: str
) -> None:
    r = rig()
    data = await submit(r, text, location=where)
    answered = await respond(data, r.bus, r.repo, r.agent)
    assert answered is not None and intent in answered.intents
    seen = stages(await stream_of(r.bus, data.job_id))
    assert (node, "started") in seen and (node, "completed") in seen
    assert seen[-1] == ("done", "completed")


async def test_two_intents_fan_out_in_parallel_and_both_reach_the_answer() -> None:
    both = asyncio.Barrier(2)  # each branch waits for the other: only parallel branches pass
    knowledge = Calls(sources().knowledge.lookup, barrier=both)
    bins = Calls(sources().collection_points.near, barrier=both)
    r = rig(sources(knowledge=Wrapped("lookup", knowledge),
                    collection_points=Wrapped("near", bins)))  # fmt: skip
    data = await submit(r, "이 페트병 어떻게 버려? 근처 수거함도 알려줘", location=SEOUL)
    async with asyncio.timeout(10):
        answered = await respond(data, r.bus, r.repo, r.agent)
    assert answered is not None and answered.intents == ["waste", "collection_point"]
    assert (knowledge.count, bins.count) == (1, 1)
    seen = stages(await stream_of(r.bus, data.job_id))
    for node in ("waste_rag", "collection_point", "weather"):  # weather: the enrichment
        assert (node, "completed") in seen
    stored = await r.repo.message(answered.assistant_message_id)
    assert stored is not None and "무색페트병" in stored.content and "수거함" in stored.content


def test_enrichment_rules() -> None:
    assert plan(["waste"], "우유팩", False) == ["waste_rag", "weather"]
    assert plan(["bulk_waste"], "소파", False) == ["bulk_waste", "weather"]
    assert plan(["recyclable_price"], "고철", False) == ["recyclable_price"]
    assert plan(["recyclable_price"], "고철", True) == ["recyclable_price", "weather"]
    assert plan(["general"], "안녕", True) == ["general"]
    assert plan(["general"], "요즘 분리배출", False) == ["general", "web_search"]
    assert plan([], "", False) == ["general"]


async def test_an_unknown_item_walks_the_chain_to_the_model_alone() -> None:
    r = rig()
    data = await submit(r, "뭔지 모를 물건 어떻게 버려?")
    answered = await respond(data, r.bus, r.repo, r.agent)
    assert answered is not None
    seen = stages(await stream_of(r.bus, data.job_id))
    chain = [s for s in seen if s[0] in ("web_search", "general")]
    assert chain == [("web_search", "started"), ("web_search", "completed"),
                     ("general", "started"), ("general", "completed")]  # fmt: skip
    state = await r.agent.graph.aget_state({"configurable": {"thread_id": data.conversation_id}})
    assert state.values["contexts"]["fallbacks"] == {"waste_rag": "general"}
    stored = await r.repo.message(answered.assistant_message_id)
    assert stored is not None and "지식베이스에서 찾지 못한" in stored.content


async def test_the_chain_stops_at_the_first_step_with_an_answer() -> None:
    async def found(text: str, model: str | None, job_id: str) -> dict[str, object]:
        del text, model, job_id
        return {"results": [{"title": "새 분리배출 지침", "url": "https://example.kr/n",
                             "snippet": "요약"}]}  # fmt: skip

    r = rig(sources(web_search=Wrapped("search", Calls(found))))
    data = await submit(r, "뭔지 모를 물건 어떻게 버려?")
    await respond(data, r.bus, r.repo, r.agent)
    seen = stages(await stream_of(r.bus, data.job_id))
    assert ("web_search", "completed") in seen and ("general", "started") not in seen


async def test_a_fail_open_node_fails_and_the_run_goes_on() -> None:
    bins = Calls(sources().collection_points.near, fail=True)
    r = rig(sources(collection_points=Wrapped("near", bins)))
    data = await submit(r, "폐건전지 수거함 어디 있어?", location=SEOUL)
    answered = await respond(data, r.bus, r.repo, r.agent)
    assert answered is not None and bins.count == 2  # retried once, then skipped
    events = await stream_of(r.bus, data.job_id)
    completed = [d for n, d in events if n == "collection_point" and d["status"] == "completed"]
    assert completed[0]["message"] == "정보를 가져오지 못했어요"
    assert events[-1][1]["status"] == "completed"
    assert "지금은 수거함 정보를 가져오지 못했어요" in events[-1][1]["result"]["answer"]


async def test_a_hanging_node_times_out_under_its_policy() -> None:
    weather = Calls(sources().weather.now, hang=True)
    quick = NodePolicy(timeout_s=0.05, retries=0, fail=FailMode.OPEN)
    r = rig(sources(weather=Wrapped("now", weather)), breakers=Breakers(policies(weather=quick)))
    data = await submit(r, "날씨 어때?")
    assert await respond(data, r.bus, r.repo, r.agent) is not None
    assert stages(await stream_of(r.bus, data.job_id))[-1] == ("done", "completed")


async def test_a_failing_fallback_node_hands_over_to_the_chain() -> None:
    knowledge = Calls(sources().knowledge.lookup, fail=True)
    r = rig(sources(knowledge=Wrapped("lookup", knowledge)))
    data = await submit(r, "우유팩 어떻게 버려?")
    answered = await respond(data, r.bus, r.repo, r.agent)
    assert answered is not None and knowledge.count == 2
    seen = stages(await stream_of(r.bus, data.job_id))
    assert ("general", "completed") in seen and seen[-1] == ("done", "completed")


async def test_a_fail_closed_node_ends_the_run_failed_and_frees_the_conversation() -> None:
    r = rig(llm=BrokenStreamLLM())
    data = await submit(r, "우유팩 어떻게 버려?")
    assert await respond(data, r.bus, r.repo, r.agent) is None
    events = await stream_of(r.bus, data.job_id)
    assert stages(events)[-2:] == [("answer", "failed"), ("done", "failed")]
    done = events[-1][1]
    assert done["result"]["persistence"]["assistant_message"] is None and done["message"]
    assert await r.repo.message(assistant_message_id(data.job_id)) is None
    found = await r.repo.get(data.conversation_id, data.user_id)
    assert found is not None and found.active_job_id is None and found.message_count == 1


async def test_a_redelivered_run_stores_one_answer_and_ends_once() -> None:
    knowledge = Calls(sources().knowledge.lookup)
    r = rig(sources(knowledge=Wrapped("lookup", knowledge)))
    data = await submit(r, "우유팩 어떻게 버려?")
    first = await respond(data, r.bus, r.repo, r.agent)
    again = await respond(data, r.bus, r.repo, r.agent)
    assert first is not None and again is not None
    assert first.assistant_message_id == again.assistant_message_id and knowledge.count == 1
    assert len(await r.repo.messages(data.conversation_id, None, 10)) == 2
    dones = [e for e in await stream_of(r.bus, data.job_id) if e[0] == "done"]
    assert len(dones) == 1


async def test_the_dead_letter_notice_ends_the_run() -> None:
    r = rig()
    data = await submit(r, "우유팩 어떻게 버려?")
    notice = DeadLettered(
        trigger="chat-agent", error="boom", attempts=3, event_type=SUBMITTED,
        event_source="/eco2/chat/api", event_id=data.job_id, data=data.model_dump(mode="json"),
        error_type="RuntimeError",
    )  # fmt: skip
    await failed(notice, r.bus, r.repo)
    assert stages(await stream_of(r.bus, data.job_id))[-1] == ("done", "failed")
    found = await r.repo.get(data.conversation_id, data.user_id)
    assert found is not None and found.active_job_id is None


async def test_a_photo_goes_through_vision_first_and_names_the_item() -> None:
    blobs = MemoryBlobStore()
    store = LocalObjectStore(blobs, "http://mesh", b"k" * 32)
    key = f"chat/u/{uuid.uuid4().hex}.png"
    await blobs.put(key, png_1x1(), "image/png")
    r = rig(images=store)
    data = await submit(r, "우유팩 사진이에요. 어떻게 버려요?", image_key=key)
    answered = await respond(data, r.bus, r.repo, r.agent)
    assert answered is not None
    events = await stream_of(r.bus, data.job_id)
    assert stages(events)[1:4] == [("vision", "started"), ("vision", "completed"),
                                   ("intent", "started")]  # fmt: skip
    assert events[2][1]["message"] == "우유팩"
    stored = await r.repo.message(answered.assistant_message_id)
    assert stored is not None and "우유팩" in stored.content


class Crash(BaseException):
    """The process dying mid-answer (not an error any node would handle)."""


class CrashingLLM(BrokenStreamLLM):
    """Streams the first three words of the offline answer, then the process dies."""

    async def stream(self, request: LLMRequest, field: str = "text") -> AsyncIterator[str]:
        count = 0
        async for delta in offline_llm().stream(request, field):
            if count == 3:
                raise Crash
            count += 1
            yield delta


async def test_a_run_killed_mid_answer_resumes_and_the_text_continues() -> None:
    knowledge = Calls(sources().knowledge.lookup)
    r = rig(sources(knowledge=Wrapped("lookup", knowledge)), llm=CrashingLLM())
    data = await submit(r, "우유팩 어떻게 버려?")
    with pytest.raises(Crash):
        await respond(data, r.bus, r.repo, r.agent)
    shown = await r.bus.token_snapshot(data.job_id)
    assert shown is not None and shown.accumulated
    restarted = ChatAgent(build(dataclasses.replace(r.agent_deps, llm=offline_llm()),
                                r.agent.graph.checkpointer))  # fmt: skip
    answered = await respond(data, r.bus, r.repo, restarted)  # the redelivered event
    assert answered is not None and knowledge.count == 1  # resumed at the answer, not re-run
    events = await stream_of(r.bus, data.job_id)
    text = "".join(d["content"] for n, d in events if n == "token")
    done = events[-1][1]
    assert text == done["result"]["answer"] and text.startswith(shown.accumulated)
    assert [m.role for m in await r.repo.messages(data.conversation_id, None, 10)] == [
        "user", "assistant"
    ]  # fmt: skip


class RewordingLLM(BrokenStreamLLM):
    """A real model asked again: the same first words, then other ones (`keep` deltas of the
    offline answer, then `tail`)."""

    def __init__(self, keep: int, tail: str) -> None:
        super().__init__()
        self._keep, self._tail = keep, tail

    async def stream(self, request: LLMRequest, field: str = "text") -> AsyncIterator[str]:
        count = 0
        async for delta in offline_llm().stream(request, field):
            if count == self._keep:
                break
            count += 1
            yield delta
        if self._tail:
            yield self._tail


def shown_by_client(events: list[tuple[str, dict[str, Any]]]) -> str:
    """What the PWA shows: token deltas appended, a `token_recovery` replacing the text."""
    text = ""
    for name, data in events:
        if name == "token":
            text += data["content"]
        elif name == "token_recovery":
            text = data["accumulated"]
    return text


@pytest.mark.parametrize(("keep", "tail"), [(1, " 다르게 말하면, 우유팩은 씻어서 버려요."),
                                            (2, "")], ids=["departs", "ends-inside"])  # fmt: skip
async def test_a_resumed_answer_that_departs_from_the_one_shown_replaces_it(
    keep: int, tail: str
) -> None:
    """The re-written answer departs after its first word (or ends before the shown text
    does): the client gets one `token_recovery` with the new text so far, then the rest, and
    ends showing exactly the stored answer — never the old text with the new one after it."""
    r = rig(llm=CrashingLLM())
    data = await submit(r, "우유팩 어떻게 버려?")
    with pytest.raises(Crash):
        await respond(data, r.bus, r.repo, r.agent)
    shown = await r.bus.token_snapshot(data.job_id)
    assert shown is not None
    restarted = ChatAgent(build(dataclasses.replace(r.agent_deps, llm=RewordingLLM(keep, tail)),
                                r.agent.graph.checkpointer))  # fmt: skip
    assert await respond(data, r.bus, r.repo, restarted) is not None
    events = await stream_of(r.bus, data.job_id)
    answer = events[-1][1]["result"]["answer"]
    assert answer != shown.accumulated and not answer.startswith(shown.accumulated)
    assert [n for n, _ in events].count("token_recovery") == 1
    assert shown_by_client(events) == answer
    [message] = [m for m in await r.repo.messages(data.conversation_id, None, 10)
                 if m.role == "assistant"]  # fmt: skip
    assert message.content == answer
    snapshot = await r.bus.token_snapshot(data.job_id)
    assert snapshot is not None and snapshot.accumulated == answer  # a late client too


async def test_a_long_history_is_summarised_before_the_answer() -> None:
    r = rig()
    first = await submit(r, "우유팩 어떻게 버려?")
    await respond(first, r.bus, r.repo, r.agent)
    assert ("summarize", "started") not in stages(await stream_of(r.bus, first.job_id))
    latest = first
    for n in range(10):
        latest = await submit(r, f"질문 {n}: 날씨 어때?", user=first.user_id,
                              conversation_id=first.conversation_id)  # fmt: skip
        await respond(latest, r.bus, r.repo, r.agent)
    seen = stages(await stream_of(r.bus, latest.job_id))
    assert seen.index(("summarize", "completed")) < seen.index(("answer", "started"))
    config = {"configurable": {"thread_id": first.conversation_id}}
    state = (await r.agent.graph.aget_state(config)).values
    assert state["summary"].startswith("우유팩 어떻게 버려?")
    assert len(state["history"]) == 10  # 8 kept + this turn's two
    assert state["history"][-1]["role"] == "assistant"


async def test_finished_runs_leave_one_checkpoint_per_conversation() -> None:
    r = rig()
    first = await submit(r, "우유팩 어떻게 버려?")
    await respond(first, r.bus, r.repo, r.agent)
    for text in ("날씨 어때?", "고철 시세 알려줘"):
        later = await submit(r, text, user=first.user_id, conversation_id=first.conversation_id)
        assert await respond(later, r.bus, r.repo, r.agent) is not None
    config = {"configurable": {"thread_id": first.conversation_id}}
    saver = r.agent.graph.checkpointer
    assert len([c async for c in saver.alist(config)]) == 1
    state = (await r.agent.graph.aget_state(config)).values
    assert [t["content"] for t in state["history"] if t["role"] == "user"] == [
        "우유팩 어떻게 버려?", "날씨 어때?", "고철 시세 알려줘"
    ]  # fmt: skip
    assert state["intents"] == ["recyclable_price"]


async def test_the_sweep_forgets_a_deleted_conversations_checkpoints() -> None:
    r = rig()
    data = await submit(r, "우유팩 어떻게 버려?")
    await respond(data, r.bus, r.repo, r.agent)
    config = {"configurable": {"thread_id": data.conversation_id}}
    saver = r.agent.graph.checkpointer
    assert (await r.agent.graph.aget_state(config)).values["history"]
    await r.repo.delete(data.conversation_id, data.user_id)
    await forget.sweep(Ping(function="chat-forget"), r.repo, saver, Settings())
    assert [c async for c in saver.alist(config)] == []
    assert await r.repo.forgettable(0, 10) == []


async def test_a_finished_run_settles_its_llm_ledger() -> None:
    usage = MemoryUsageRecorder()
    llm = LLMClient({"offline": OfflineProvider()}, allowed_models=["offline"],
                    default_model="offline", usage=usage)  # fmt: skip
    r = rig(llm=llm)
    data = await submit(r, "우유팩 어떻게 버려?")
    assert await respond(data, r.bus, r.repo, r.agent) is not None
    ledger = usage.runs[data.job_id]
    mine = [u for u in usage.records if u.job_id == data.job_id]
    assert ledger.calls == len(mine) >= 1 and ledger.priced and ledger.cost_usd == 0.0
    assert ledger.output_tokens == sum(u.output_tokens for u in mine) > 0


async def test_the_chat_command_shows_a_replaced_text_whole() -> None:
    """`eco2 chat` on a stream with a rewrite: the new text is printed again from its start."""
    events = [("token", {"content": "오늘은 "}), ("token", {"content": "맑아요"}),
              ("token_recovery", {"accumulated": "오늘은 흐려"}), ("token", {"content": "요"}),
              ("done", {"status": "completed"})]  # fmt: skip
    body = "".join(f"event: {n}\ndata: {json.dumps(d)}\n\n" for n, d in events)

    def mesh(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202, json={"stream_url": "/s"})
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    out, err = io.StringIO(), io.StringIO()
    transport = httpx.MockTransport(mesh)
    async with httpx.AsyncClient(base_url="http://mesh", transport=transport) as http:
        done = await cli.turn(http, "c", {"message": "날씨?"}, out, err)
    assert done == {"status": "completed"}
    assert out.getvalue().splitlines()[-1] == "오늘은 흐려요"
