"""Real mode keeps the graph's checkpoints in PostgreSQL with LangGraph's official saver,
behind a Redis hot layer: a run's state (the conversation's turns) is there for a new
process, thread = conversation, and a finished run leaves only the latest checkpoint."""

from __future__ import annotations

import pytest

from functions.chat import wiring
from functions.chat.agent import ChatAgent, respond
from functions.chat.graph import build
from functions.chat.memory.hot import HotCheckpointSaver
from functions.kit.container import Container
from functions.kit.settings import Settings
from tests.rig import RedisNamespace
from tests.support.chat import rig, submit

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
