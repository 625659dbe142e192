"""The agent's process dying between two of a run's writes, then the event redelivered: the
run's last checkpoint is finished (every node ran) but its answer is not stored yet. The
redelivered event stores that answer; it does not run the graph again (a second intent and
sub-agents, a second answer streamed after the first, the turn twice in the memory)."""

from __future__ import annotations

import pytest

from functions.chat.agent import respond
from functions.chat.model import Message
from tests.support.chat import Calls, Wrapped, rig, sources, stream_of, submit


class Crash(BaseException):
    """The process dying (not an error anything would handle)."""


async def test_a_run_killed_after_its_last_checkpoint_stores_that_answer_without_rerunning() -> (
    None
):
    knowledge = Calls(sources().knowledge.lookup)
    r = rig(sources(knowledge=Wrapped("lookup", knowledge)))
    data = await submit(r, "우유팩 어떻게 버려?")
    real_finish = r.repo.finish_run
    calls = 0

    async def finish_run(conversation_id: str, job_id: str, reply: Message) -> Message | None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise Crash
        return await real_finish(conversation_id, job_id, reply)

    r.repo.finish_run = finish_run  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await respond(data, r.bus, r.repo, r.agent)
    first = [e for e in await stream_of(r.bus, data.job_id) if e[0] == "token"]
    answered = await respond(data, r.bus, r.repo, r.agent)  # the redelivered event
    assert answered is not None and knowledge.count == 1  # the graph did not run again
    events = await stream_of(r.bus, data.job_id)
    tokens = [e for e in events if e[0] == "token"]
    assert tokens == first  # nothing streamed twice
    text = "".join(d["content"] for _, d in tokens)
    assert events[-1][0] == "done" and events[-1][1]["result"]["answer"] == text
    stored = await r.repo.messages(data.conversation_id, None, 10)
    assert [(m.role, m.content) for m in stored][1:] == [("assistant", text)]
    config = {"configurable": {"thread_id": data.conversation_id}}
    state = (await r.agent.graph.aget_state(config)).values  # type: ignore[arg-type]
    assert [t["role"] for t in state["history"]] == ["user", "assistant"]  # the turn once
