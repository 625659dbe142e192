"""The chat domain's pure model: conversations, messages, the stages of a run, the models.

Shapes the client reads (http-api.md, Chat) are built here once, so the list, the read and the
`done` event can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from eventing.bus.port import JobKind

KIND: JobKind = "chat"
Role = Literal["user", "assistant"]
DEFAULT_TITLE = "새 대화"
TITLE_FROM_MESSAGE_CHARS = 30
PREVIEW_CHARS = 100

# domain.md: the 10 intents, and the models offered to users (gpt-5.2 is the default).
INTENTS: tuple[str, ...] = (
    "waste", "character", "location", "bulk_waste", "recyclable_price",
    "collection_point", "weather", "image_generation", "web_search", "general",
)  # fmt: skip
CHAT_MODELS: tuple[str, ...] = (
    "gpt-5.2", "gpt-5.2-pro", "gpt-5-mini",
    "gemini-3-flash-preview", "gemini-3-pro-preview", "gemini-2.5-flash",
)  # fmt: skip
DEFAULT_CHAT_MODEL = "gpt-5.2"

# Progress (percent) at each stage's start and end, as the client's progress shows it.
PLAN: dict[str, tuple[int, int]] = {
    "vision": (5, 10),  # first, when a photo is attached
    "intent": (10, 15),
    "agents": (15, 60),  # every sub-agent, in parallel: started repeats the bar, completed 60
    "aggregator": (60, 65),
    "summarize": (65, 70),  # only for a long history
    "answer": (70, 95),
}
DONE_MESSAGE = "답변을 완료했어요."
FAILED_MESSAGE = "답변을 만들지 못했어요. 잠시 후 다시 시도해 주세요."


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    user_id: str
    title: str
    titled: bool  # the user named it (a first message no longer does)
    preview: str
    message_count: int
    last_message_at: datetime | None
    created_at: datetime
    active_job_id: str | None = None  # the run answering the last user message, if any
    active_since: datetime | None = None

    def busy(self, at: datetime, ttl_s: float) -> bool:
        """Whether a run still blocks a new message at `at`: one is active and started less
        than `ttl_s` ago (a run that never ended stops blocking after that; 0 turns the
        one-run-at-a-time policy off)."""
        if self.active_job_id is None or self.active_since is None or ttl_s <= 0:
            return False
        return (at - self.active_since).total_seconds() < ttl_s

    @property
    def activity(self) -> datetime:
        """What the list is ordered by: the last message, else the creation."""
        return self.last_message_at or self.created_at

    def as_summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "preview": self.preview,
            "message_count": self.message_count,
            "last_message_at": _iso(self.last_message_at),
            "created_at": _iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    conversation_id: str
    seq: int  # 1, 2, … per conversation: the order, and the read cursor
    role: Role
    content: str
    created_at: datetime
    image_url: str | None = None
    job_id: str | None = None  # the run it started (user) or ended (assistant)

    def as_contract(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": self.id,
            "role": self.role,
            "content": self.content,
            "created_at": _iso(self.created_at),
        }
        if self.image_url:
            found["image_url"] = self.image_url
        return found


def title_from(message: str) -> str:
    """A conversation's automatic title: the first user message, one line, cut short."""
    line = " ".join(message.split())
    if len(line) <= TITLE_FROM_MESSAGE_CHARS:
        return line or DEFAULT_TITLE
    return line[: TITLE_FROM_MESSAGE_CHARS - 1] + "…"


def preview_of(content: str) -> str:
    line = " ".join(content.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
