"""Real mode keeps the graph's checkpoints in PostgreSQL with LangGraph's official saver,
behind a Redis hot layer: a run's state (the conversation's turns) is there for a new
process, thread = conversation, and a finished run leaves only the latest checkpoint."""

from __future__ import annotations

import dataclasses

import pytest

from functions.chat import wiring
from functions.chat.agent import ChatAgent, respond
from functions.chat.graph import build
from functions.chat.memory.hot import HotCheckpointSaver
from functions.kit.container import Container
from functions.kit.settings import Settings
from tests.rig import RedisNamespace
from tests.support.chat import offline_llm, rig, stream_of, submit
from tests.unit.test_chat_agent import Crash, CrashingLLM

pytestmark = pytest.mark.integration


async def test_checkpoints_outlive_the_process_that_wrote_them(
    pg_dsn: str, redis_url_and_prefix: RedisNamespace
) -> None:
    url, prefix = redis_url_and_prefix
    settings = Settings(mode="real", pg_dsn=pg_dsn, redis_url=url, redis_prefix=prefix)
    first, second = Container(settings, {}), Container(settings, {})
    try:
        r = rig()
        r.agent = ChatAgent(build(r.agent_deps, await wiring.chat_checkpointer(first)))
        data = await submit(r, "우유팩 어떻게 버려?")
        assert await respond(data, r.bus, r.repo, r.agent) is not None
        later = ChatAgent(build(r.agent_deps, await wiring.chat_checkpointer(second)))
        config = {"configurable": {"thread_id": data.conversation_id}}
        state = (await later.graph.aget_state(config)).values
        assert state["job_id"] == data.job_id and state["intents"] == ["waste"]
        assert [t["role"] for t in state["history"]] == ["user", "assistant"]
        saver = later.graph.checkpointer
        assert isinstance(saver, HotCheckpointSaver)
        await (await second.redis()).delete(saver.entry_key(data.conversation_id, ""))
        assert (await later.graph.aget_state(config)).values["job_id"] == data.job_id
        assert len([c async for c in saver.alist(config)]) == 1  # pruned: the latest only
    finally:
        await first.close()
        await second.close()


async def test_a_run_killed_mid_answer_resumes_through_the_hot_layer_in_a_new_process(
    pg_dsn: str, redis_url_and_prefix: RedisNamespace
) -> None:
    url, prefix = redis_url_and_prefix
    settings = Settings(mode="real", pg_dsn=pg_dsn, redis_url=url, redis_prefix=prefix)
    first, second = Container(settings, {}), Container(settings, {})
    try:
        r = rig(llm=CrashingLLM())
        r.agent = ChatAgent(build(r.agent_deps, await wiring.chat_checkpointer(first)))
        data = await submit(r, "우유팩 어떻게 버려?")
        with pytest.raises(Crash):
            await respond(data, r.bus, r.repo, r.agent)
        shown = await r.bus.token_snapshot(data.job_id)
        assert shown is not None and shown.accumulated
        deps = dataclasses.replace(r.agent_deps, llm=offline_llm())
        restarted = ChatAgent(build(deps, await wiring.chat_checkpointer(second)))
        answered = await respond(data, r.bus, r.repo, restarted)  # the redelivered event
        assert answered is not None
        events = await stream_of(r.bus, data.job_id)
        text = "".join(d["content"] for n, d in events if n == "token")
        assert text == events[-1][1]["result"]["answer"] and text.startswith(shown.accumulated)
        stages_seen = [d.get("stage") for n, d in events if n != "token"]
        assert stages_seen.count("waste_rag") == 2  # started + completed once: not re-run
    finally:
        await first.close()
        await second.close()
