"""The agent's process dying between two of a run's writes, then the event redelivered.

After the run's last checkpoint (every node ran), before its answer is stored: the redelivered
event stores that answer; it does not run the graph again (a second intent and sub-agents, a
second answer streamed after the first, the turn twice in the memory). After the answer is
stored, before `done`: the redelivery ends the run with the `done` the first would have sent
(the run's intent, not a stand-in)."""

from __future__ import annotations

from typing import Any

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

    async def finish_run(conversation_id: str, job_id: str, message: Message) -> Message | None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise Crash
        return await real_finish(conversation_id, job_id, message)

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


async def test_a_run_killed_after_storing_its_answer_ends_with_its_own_done() -> None:
    knowledge = Calls(sources().knowledge.lookup)
    r = rig(sources(knowledge=Wrapped("lookup", knowledge)))
    data = await submit(r, "우유팩 어떻게 버려?")
    real_finish = r.repo.finish_run

    async def finish_run(conversation_id: str, job_id: str, message: Message) -> Message | None:
        await real_finish(conversation_id, job_id, message)
        raise Crash  # stored, then the process died

    r.repo.finish_run = finish_run  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await respond(data, r.bus, r.repo, r.agent)
    answered = await respond(data, r.bus, r.repo, r.agent)  # the redelivered event
    assert answered is not None and answered.intents == ["waste"] and knowledge.count == 1
    events = await stream_of(r.bus, data.job_id)
    done = events[-1][1]
    assert events[-1][0] == "done" and done["result"]["intent"] == "waste"
    stored = await r.repo.messages(data.conversation_id, None, 10)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert done["result"]["answer"] == stored[1].content


async def test_a_run_killed_between_a_steps_writes_and_its_checkpoint_goes_on_to_answer() -> None:
    """The aggregator's writes are saved (pending writes), the step's checkpoint is not: the
    snapshot then shows no next node, though the answer never ran. The redelivery must run
    the answer, not store an empty one as if the graph had finished (chat bench, chaos)."""
    r = rig(sources())
    data = await submit(r, "우유팩 어떻게 버려?")
    saver = r.agent.graph.checkpointer
    real_put = saver.aput  # type: ignore[union-attr]
    crashed = False

    async def aput(config: Any, checkpoint: Any, metadata: Any, versions: Any) -> Any:
        nonlocal crashed
        if not crashed and any(k.startswith("branch:to:answer") for k in versions):
            crashed = True
            raise Crash  # the aggregator's writes are saved; its step's checkpoint is not
        return await real_put(config, checkpoint, metadata, versions)

    saver.aput = aput  # type: ignore[union-attr]
    with pytest.raises(Crash):
        await respond(data, r.bus, r.repo, r.agent)
    assert crashed
    assert not [e for e in await stream_of(r.bus, data.job_id) if e[0] == "token"]
    answered = await respond(data, r.bus, r.repo, r.agent)  # the redelivered event
    assert answered is not None
    events = await stream_of(r.bus, data.job_id)
    text = "".join(d["content"] for name, d in events if name == "token")
    assert text and events[-1][0] == "done" and events[-1][1]["result"]["answer"] == text
    stored = await r.repo.messages(data.conversation_id, None, 10)
    assert [(m.role, m.content) for m in stored][1:] == [("assistant", text)]
