"""Events of the chat domain: a user message waiting for 이코's answer, and the answer stored.

The submitted event carries everything the agent needs (event-carried state): the agent reads
no request row before it starts, and a dead letter holds what is needed to end the run.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from eventing.catalog import EventData, EventSpec

SUBMITTED = "kr.eco2.chat.message.submitted.v1"
ANSWERED = "kr.eco2.chat.answered.v1"
TYPE_PREFIX = "kr.eco2.chat."


class Coordinates(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    latitude: float
    longitude: float


class ChatMessageSubmitted(EventData):
    """A user message is stored; its run (`job_id`) answers it in `conversation_id`."""

    job_id: str
    conversation_id: str
    user_id: str
    user_message_id: str
    message: str
    model: str
    image_url: str | None = None
    image_key: str | None = None
    content_type: str | None = None
    location: Coordinates | None = None


class ChatAnswered(EventData):
    """The assistant message is stored and the run's `done` was emitted."""

    job_id: str
    conversation_id: str
    user_id: str
    assistant_message_id: str
    intents: list[str]


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        type=SUBMITTED,
        source="/eco2/chat/api",
        data=ChatMessageSubmitted,
        version="v1",
        description="A user sent a chat message (stored); the agent answers it.",
    ),
    EventSpec(
        type=ANSWERED,
        source="/eco2/chat/agent",
        data=ChatAnswered,
        version="v1",
        description="The agent stored 이코's answer and emitted `done`.",
    ),
)
