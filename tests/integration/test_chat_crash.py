"""Crash safety across processes (issue 10, point 5), on the real servers: the agent runs in its
own OS process (`eco2 run --real --serve events --functions 'chat-*'`) against a fake OpenAI
that streams slowly; once the answer's tokens are on the event bus the worker gets SIGKILL and
a new one starts. RabbitMQ redelivers the unacked event (after the dead claim's lease), the new
worker resumes from the last checkpoint (the stages before the answer do not run again), the
conversation ends with one assistant message, and the client that followed the SSE stream
throughout saw the answer continue — every token once, in order — and `done`. Killed earlier,
during the intent's model call, the new worker runs that node again (its step never reached a
checkpoint) and nothing before it; the answer streams once.

The API and the SSE gateway are served in the test's process (`--serve http`'s role); the
caller's id is the header the edge would inject, as in test_chat_mesh.py.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # no stubs shipped
import httpx
import pytest

from eventing.bus.port import EventBus
from functions.kit.bootstrap import build_registry
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings
from functions.kit.worker import Role
from tests.load.scan.procs import Service
from tests.load.sse.harness import Frame, base_url, read_sse, serve, token_text
from tests.load.sse.procs import free_port
from tests.support.llm_fakes import PLAIN_TEXT
from tests.support.paced_llm import PacedOpenAI, numbered_text, token_numbers

pytestmark = pytest.mark.integration
ALICE = "5b0d7c1e-2f3a-4b5c-9d6e-7f8091a2b3c4"
TOKENS, RATE = 80, 20.0  # a 4 s answer: plenty of time to kill it in the middle
KILL_AFTER = 15  # tokens on the bus before the SIGKILL
WITHIN_S = 90.0  # the lease of the dead claim (10 s) + a new worker's start + the rest


def worker(settings: Settings, tmp: Path) -> Service:
    """The agent's process, with the mesh's settings in its environment (INFO: its log says
    when it resumes a run)."""
    port = free_port()
    env = {
        "ECO2_MODE": "real", "ECO2_AMQP_URL": settings.amqp_url,
        "ECO2_REDIS_URL": settings.redis_url, "ECO2_REDIS_PREFIX": settings.redis_prefix,
        "ECO2_PG_DSN": settings.pg_dsn, "ECO2_LLM_DEFAULT_MODEL": settings.llm_default_model,
        "ECO2_OPENAI_BASE_URL": settings.openai_base_url or "",
        "ECO2_OPENAI_API_KEY": settings.openai_api_key or "",
        "ECO2_MEDIA_DIR": str(tmp / "media"), "ECO2_LOG_LEVEL": "INFO",
    }  # fmt: skip
    command = [sys.executable, "-m", "functions.kit.cli", "run", "--real", "--serve", "events",
               "--functions", "chat-*", "--port", str(port)]  # fmt: skip
    return Service(
        "chat-worker", command, env, tmp / "worker.log", f"http://127.0.0.1:{port}/ready"
    )


@asynccontextmanager
async def http_side(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Mesh]]:
    mesh = Mesh(settings, build_registry(), role=Role.parse("http"))
    async with (
        serve(mesh.app) as server,
        httpx.AsyncClient(base_url=base_url(server), timeout=30,
                          headers={"x-user-id": ALICE}) as http,
    ):  # fmt: skip
        yield http, mesh


async def tokens_on_the_bus(bus: EventBus, job_id: str, at_least: int) -> str:
    """Poll the job's token snapshot until it holds `at_least` tokens (bounded)."""
    deadline = time.monotonic() + WITHIN_S
    while time.monotonic() < deadline:
        shown = await bus.token_snapshot(job_id)
        if shown is not None and len(token_numbers(shown.accumulated)) >= at_least:
            return shown.accumulated
        await asyncio.sleep(0.02)
    raise AssertionError(f"no {at_least} tokens of {job_id} on the bus in {WITHIN_S}s")


async def assistant_messages(dsn: str, conversation_id: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT content FROM chat_messages WHERE conversation_id = $1 AND role = 'assistant'",
            conversation_id,
        )
        return [r["content"] for r in rows]
    finally:
        await conn.close()


def started(frames: list[Frame], stage: str) -> int:
    return sum(1 for f in frames if f.event == stage and f.data["status"] == "started")


@asynccontextmanager
async def split_mesh(
    real_settings: Settings, tmp_path: Path, fake: PacedOpenAI
) -> AsyncIterator[tuple[httpx.AsyncClient, EventBus, Service]]:
    """The fake model, the agent's worker process and the HTTP side in this process."""
    (tmp_path / "media").mkdir()
    async with fake.running() as llm_url:
        settings = real_settings.model_copy(update={
            "openai_base_url": llm_url, "openai_api_key": "fake",
            "llm_default_model": "gpt-5-mini", "media_dir": str(tmp_path / "media"),
        })  # fmt: skip
        agent = worker(settings, tmp_path)
        await agent.start()
        try:
            async with http_side(settings) as (http, mesh):
                assert mesh.runtime is not None
                yield http, await mesh.runtime.container.get("event_bus"), agent
        finally:
            await agent.stop()


async def test_a_killed_agent_resumes_from_its_checkpoint_and_the_stream_continues(
    real_settings: Settings, tmp_path: Path
) -> None:
    fake = PacedOpenAI(api_key="fake", latency_by_schema={PLAIN_TEXT: 0.3}, answer_tokens=TOKENS,
                       rate=RATE)  # fmt: skip
    async with split_mesh(real_settings, tmp_path, fake) as (http, bus, agent):
        await crash_mid_answer(http, bus, agent, fake, real_settings.pg_dsn)


async def test_an_agent_killed_in_the_intent_s_model_call_runs_that_node_again_only(
    real_settings: Settings, tmp_path: Path
) -> None:
    fake = PacedOpenAI(api_key="fake", latency_by_schema={PLAIN_TEXT: 0.1, "chat_intent": 3.0},
                       answer_tokens=20, rate=50.0)  # fmt: skip
    async with split_mesh(real_settings, tmp_path, fake) as (http, _, agent):
        chat = (await http.post("/api/v1/chat")).json()["id"]
        sent = await http.post(f"/api/v1/chat/{chat}/messages", json={"message": "안녕 반가워"})
        url = sent.json()["stream_url"]
        follower = asyncio.create_task(asyncio.wait_for(read_sse(http, url, ALICE), WITHIN_S))
        await until(lambda: fake.counts["chat_intent"] > 0, "the intent's model call")
        agent.kill()  # the call is in flight: it answers after 3 s
        assert agent.proc is not None
        await agent.proc.wait()
        await agent.start()
        frames = await follower
        assert (frames[-1].event, frames[-1].data["status"]) == ("done", "completed")
        assert token_text(frames) == numbered_text(20) == frames[-1].data["result"]["answer"]
        assert fake.counts["chat_intent"] == 2 and fake.counts[PLAIN_TEXT] == 1
        assert "resuming from its checkpoint" in agent.log.read_text(errors="replace")
        assert await assistant_messages(real_settings.pg_dsn, chat) == [numbered_text(20)]


async def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WITHIN_S
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no {what} in {WITHIN_S}s")


async def crash_mid_answer(
    http: httpx.AsyncClient, bus: EventBus, agent: Service, fake: PacedOpenAI, dsn: str
) -> None:
    chat = (await http.post("/api/v1/chat")).json()["id"]
    sent = await http.post(f"/api/v1/chat/{chat}/messages", json={"message": "우유팩 어떻게 버려?"})
    assert sent.status_code == 202, sent.text
    job_id, url = sent.json()["job_id"], sent.json()["stream_url"]
    follower = asyncio.create_task(asyncio.wait_for(read_sse(http, url, ALICE), WITHIN_S))

    shown = await tokens_on_the_bus(bus, job_id, KILL_AFTER)
    first = agent.pid
    agent.kill()
    assert agent.proc is not None
    await agent.proc.wait()
    cut = await bus.token_snapshot(job_id)
    assert cut is not None and shown in cut.accumulated + " "  # nothing more after the kill
    assert len(token_numbers(cut.accumulated)) < TOKENS and fake.streams_finished == 0
    log_before = agent.log.read_text(errors="replace")
    await agent.start()
    assert agent.pid != first

    frames = await follower
    done = frames[-1]
    assert (done.event, done.data["status"]) == ("done", "completed"), agent.tail()
    text = token_text(frames)
    assert token_numbers(text) == list(range(1, TOKENS + 1))  # each token once, in order
    assert text == numbered_text(TOKENS) == done.data["result"]["answer"]
    ids = [f.id for f in frames if f.event != "keepalive"]  # a keepalive repeats the last id
    assert ids == sorted(set(ids))
    # Resumed, not restarted: the stages before the answer ran once; the answer twice.
    assert started(frames, "intent") == 1 and started(frames, "aggregator") == 1
    assert fake.counts["chat_intent"] == 1  # the intent's model call was not made again
    assert fake.counts[PLAIN_TEXT] == 2 and fake.streams_finished == 1
    assert (
        "resuming from its checkpoint" in agent.log.read_text(errors="replace")[len(log_before) :]
    )
    assert await assistant_messages(dsn, chat) == [text]
    history = (await http.get(f"/api/v1/chat/{chat}")).json()["messages"]
    assert [(m["role"], m["content"]) for m in history][1:] == [("assistant", text)]
    assert done.data["result"]["persistence"]["assistant_message"] == history[1]["id"]

    # A client that lost its connection at the kill resumes after its last id: the rest, once
    # (a token event may carry several tokens: the answer's deltas are coalesced).
    last = token_numbers(cut.accumulated)[-1]
    at_kill = next(f.id for f in frames if f.event == "token"
                   and token_numbers(f.data["content"])[-1:] == [last])  # fmt: skip
    resumed = await asyncio.wait_for(read_sse(http, url, ALICE, last_event_id=at_kill), WITHIN_S)
    assert [(f.id, f.data) for f in resumed if f.event != "keepalive"] == [
        (f.id, f.data) for f in frames if f.id > at_kill and f.event != "keepalive"
    ]
