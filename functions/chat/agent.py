"""`chat-agent`: the function that answers a submitted message by running the graph.

A run ends exactly one visible way: the assistant message stored, then `done` completed with
its ids; or `done` failed (a fail-closed node gave up, the conversation was deleted, or — from
`failed` below — the broker gave up on the event). A redelivered event whose answer is already
stored only repeats the `done` (the bus keeps one per job): no second graph run, no second
message. A run interrupted mid-graph resumes from its last checkpoint (thread = conversation);
one whose graph had finished (the process died before the answer was stored) stores the
answer of that checkpoint.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from langgraph.checkpoint.base import BaseCheckpointSaver

from eventing.bus.port import EventBus
from eventing.events.chat import SUBMITTED, ChatAnswered, ChatMessageSubmitted
from eventing.events.mesh import DeadLettered
from functions.chat.errors import NodeFailed
from functions.chat.graph import Graph
from functions.chat.model import DONE_MESSAGE, FAILED_MESSAGE, Message
from functions.chat.ports import ConversationRepository
from functions.chat.state import ChatState
from functions.kit.llm.port import LLM
from functions.kit.progress import Progress

log = logging.getLogger(__name__)
ANSWER_NAMESPACE = uuid.UUID("3c1f4e0a-7b9d-4f52-9e61-0d8a2b5c7e19")


def assistant_message_id(job_id: str) -> str:
    """Derived from the run: however often the run repeats, it stores one message."""
    return str(uuid.uuid5(ANSWER_NAMESPACE, job_id))


@dataclass
class ChatAgent:
    graph: Graph
    ledger: LLM | None = None  # whose `settle` sums the run's LLM calls and their cost

    async def settle(self, job_id: str) -> None:
        """The run's cost ledger, stored with its usage records once the run has ended;
        best effort (a usage-table outage must not fail a run that answered)."""
        if self.ledger is None:
            return
        try:
            cost = await self.ledger.settle(job_id)
        except Exception:
            log.warning("could not settle the LLM ledger of chat job %s", job_id, exc_info=True)
            return
        log.info("chat job %s: %d LLM call(s), %d+%d tokens, $%.6f", job_id, cost.calls,
                 cost.input_tokens, cost.output_tokens, cost.cost_usd)  # fmt: skip

    async def run(self, data: ChatMessageSubmitted) -> ChatState:
        config: Any = {"configurable": {"thread_id": data.conversation_id}}
        snapshot = await self.graph.aget_state(config)
        if snapshot.values.get("job_id") == data.job_id:  # a redelivery of this run
            # Finished means no task left at all. `next` alone is not enough: it leaves out
            # tasks whose writes were saved when the process died before their step's
            # checkpoint (e.g. the aggregator's), and then shows () though the answer never ran.
            if not snapshot.tasks:  # finished before the crash, its answer not stored yet:
                log.info("chat job %s: finished in its checkpoint", data.job_id)
                return cast(ChatState, snapshot.values)  # running it again would re-stream
            log.info("chat job %s: resuming from its checkpoint", data.job_id)
            return cast(ChatState, await self.graph.ainvoke(None, config, durability="sync"))
        location = data.location.model_dump() if data.location else None
        inputs: ChatState = {
            "job_id": data.job_id, "conversation_id": data.conversation_id,
            "user_id": data.user_id, "message": data.message, "model": data.model,
            "location": location, "image_key": data.image_key, "intents": [], "vision": None,
            "contexts": {}, "missing": [], "answer": "",
        }  # fmt: skip
        # Each step's checkpoint is written before the next step starts: a crash loses at
        # most the step it interrupted.
        return cast(ChatState, await self.graph.ainvoke(inputs, config, durability="sync"))

    async def intents_of(self, data: ChatMessageSubmitted) -> list[str]:
        """The intents the job's run found, while the conversation's checkpoint is its."""
        config: Any = {"configurable": {"thread_id": data.conversation_id}}
        values = (await self.graph.aget_state(config)).values
        return list(values.get("intents") or []) if values.get("job_id") == data.job_id else []

    async def prune(self, conversation_id: str) -> None:
        """Keep only the conversation's latest checkpoint (a finished run's state: its turns
        and summary); best effort — a failed prune leaves more rows, never a broken thread."""
        saver = self.graph.checkpointer
        if not isinstance(saver, BaseCheckpointSaver):
            return
        try:
            await saver.aprune([conversation_id], strategy="keep_latest")
        except Exception:
            log.warning("could not prune the checkpoints of %s", conversation_id, exc_info=True)


def result_of(
    data: ChatMessageSubmitted, intent: str, answer: str, stored: Message | None
) -> dict[str, Any]:
    """The `done` event's `result` (http-api.md, Chat SSE)."""
    return {
        "intent": intent,
        "answer": answer,
        "persistence": {
            "conversation_id": data.conversation_id,
            "user_id": data.user_id,
            "user_message": data.user_message_id,
            "assistant_message": stored.id if stored else None,
            "assistant_message_created_at": stored.created_at.isoformat() if stored else None,
        },
    }


async def respond(
    data: ChatMessageSubmitted,
    event_bus: EventBus,
    chat_conversations: ConversationRepository,
    chat_agent: ChatAgent,
) -> ChatAnswered | None:
    progress = Progress(event_bus, data.job_id)
    kept = await chat_conversations.message(assistant_message_id(data.job_id))
    if kept is not None:  # answered already (a redelivery): the same end again
        intents = await chat_agent.intents_of(data) or ["general"]
        await progress.done(result=result_of(data, intents[0], kept.content, kept),
                            message=DONE_MESSAGE)  # fmt: skip
        return _answered(data, kept, intents)
    if await chat_conversations.get(data.conversation_id, data.user_id) is None:
        await _fail(data, event_bus, chat_conversations, "대화가 삭제되었어요.")
        return None
    try:
        state = await chat_agent.run(data)
    except NodeFailed as exc:
        log.warning("chat job %s failed: %s", data.job_id, exc)
        await _fail(data, event_bus, chat_conversations, FAILED_MESSAGE)
        await chat_agent.settle(data.job_id)
        return None
    intents = state.get("intents") or ["general"]
    reply = Message(
        id=assistant_message_id(data.job_id), conversation_id=data.conversation_id, seq=0,
        role="assistant", content=state.get("answer") or "", created_at=datetime.now(UTC),
        job_id=data.job_id,
    )  # fmt: skip
    stored = await chat_conversations.finish_run(data.conversation_id, data.job_id, reply)
    if stored is None:
        await _fail(data, event_bus, chat_conversations, "대화가 삭제되었어요.")
        return None
    await progress.done(result=result_of(data, intents[0], stored.content, stored),
                        message=DONE_MESSAGE)  # fmt: skip
    await chat_agent.prune(data.conversation_id)
    await chat_agent.settle(data.job_id)
    return _answered(data, stored, intents)


def _answered(data: ChatMessageSubmitted, stored: Message, intents: list[str]) -> ChatAnswered:
    return ChatAnswered(
        job_id=data.job_id, conversation_id=data.conversation_id, user_id=data.user_id,
        assistant_message_id=stored.id, intents=intents,
    )  # fmt: skip


async def _fail(
    data: ChatMessageSubmitted, bus: EventBus, repo: ConversationRepository, message: str
) -> None:
    """End the run without an answer: the conversation is free again, `done` failed."""
    await repo.fail_run(data.conversation_id, data.job_id)
    await Progress(bus, data.job_id).fail(message, result=result_of(data, "general", "", None))


async def failed(
    data: DeadLettered, event_bus: EventBus, chat_conversations: ConversationRepository
) -> None:
    """`chat-failed`: the broker gave up on a submitted message; its run ends visibly."""
    if data.event_type != SUBMITTED or not data.data:
        return
    submitted = ChatMessageSubmitted.model_validate(data.data)
    await _fail(submitted, event_bus, chat_conversations, FAILED_MESSAGE)
