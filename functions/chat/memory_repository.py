"""In-memory conversations: the embedded default, held to the same contract suite as
PostgreSQL (tests/contract/test_chat_repository.py). No `await` between a check and its
write, so each method is atomic under asyncio like the SQL adapter's row lock."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from functions.chat.errors import ConversationNotFound, RunActive
from functions.chat.model import DEFAULT_TITLE, Conversation, Message, preview_of, title_from


class MemoryConversationRepository:
    def __init__(self) -> None:
        self._conversations: dict[str, Conversation] = {}
        self._deleted: set[str] = set()
        self._messages: dict[str, list[Message]] = {}
        self._by_id: dict[str, Message] = {}
        self._forgotten: set[str] = set()

    async def create(self, user_id: str, title: str | None, now: datetime) -> Conversation:
        made = Conversation(
            id=str(uuid.uuid4()), user_id=user_id, title=title or DEFAULT_TITLE,
            titled=bool(title), preview="", message_count=0, last_message_at=None,
            created_at=now,
        )  # fmt: skip
        self._conversations[made.id] = made
        self._messages[made.id] = []
        return made

    async def get(self, conversation_id: str, user_id: str) -> Conversation | None:
        found = self._conversations.get(conversation_id)
        if found is None or found.user_id != user_id or conversation_id in self._deleted:
            return None
        return found

    async def list_for(
        self, user_id: str, limit: int, after: tuple[datetime, str] | None
    ) -> list[Conversation]:
        mine = [
            c for c in self._conversations.values()
            if c.user_id == user_id and c.id not in self._deleted
        ]  # fmt: skip
        mine.sort(key=lambda c: (c.activity, c.id), reverse=True)
        if after is not None:
            mine = [c for c in mine if (c.activity, c.id) < after]
        return mine[:limit]

    async def rename(self, conversation_id: str, user_id: str, title: str) -> bool:
        found = await self.get(conversation_id, user_id)
        if found is None:
            return False
        self._conversations[found.id] = dataclasses.replace(found, title=title, titled=True)
        return True

    async def delete(self, conversation_id: str, user_id: str) -> bool:
        if await self.get(conversation_id, user_id) is None:
            return False
        self._deleted.add(conversation_id)
        return True

    async def messages(
        self, conversation_id: str, before_seq: int | None, limit: int
    ) -> list[Message]:
        kept = self._messages.get(conversation_id, [])
        if before_seq is not None:
            kept = [m for m in kept if m.seq < before_seq]
        return kept[-limit:] if limit > 0 else []

    async def message(self, message_id: str) -> Message | None:
        return self._by_id.get(message_id)

    async def add_user_message(
        self, conversation_id: str, user_id: str, message: Message, active_ttl_s: float
    ) -> Message:
        found = await self.get(conversation_id, user_id)
        if found is None:
            raise ConversationNotFound(f"no conversation {conversation_id}")
        if found.busy(message.created_at, active_ttl_s):
            raise RunActive(f"이코 is still answering (job {found.active_job_id})")
        auto_title = not found.titled and found.message_count == 0
        self._forgotten.discard(found.id)
        stored = self._append(found, message)
        current = self._conversations[found.id]
        self._conversations[found.id] = dataclasses.replace(
            current,
            title=title_from(message.content) if auto_title else current.title,
            active_job_id=message.job_id,
            active_since=message.created_at,
        )
        return stored

    def _append(self, conversation: Conversation, message: Message) -> Message:
        stored = dataclasses.replace(
            message, conversation_id=conversation.id, seq=conversation.message_count + 1
        )
        self._messages[conversation.id].append(stored)
        self._by_id[stored.id] = stored
        self._conversations[conversation.id] = dataclasses.replace(
            conversation,
            message_count=conversation.message_count + 1,
            preview=preview_of(stored.content),
            last_message_at=max(
                stored.created_at, conversation.last_message_at or stored.created_at
            ),
        )
        return stored

    async def finish_run(
        self, conversation_id: str, job_id: str, message: Message
    ) -> Message | None:
        kept = self._by_id.get(message.id)
        found = self._conversations.get(conversation_id)
        if kept is None and (found is None or conversation_id in self._deleted):
            return None
        if kept is None and found is not None:
            kept = self._append(found, message)
        await self.fail_run(conversation_id, job_id)
        return kept

    async def fail_run(self, conversation_id: str, job_id: str) -> None:
        found = self._conversations.get(conversation_id)
        if found is not None and found.active_job_id == job_id:
            self._conversations[conversation_id] = dataclasses.replace(
                found, active_job_id=None, active_since=None
            )

    async def forgettable(self, idle_s: float, limit: int) -> list[str]:
        cutoff = datetime.now(UTC) - timedelta(seconds=idle_s)
        found = [
            c for c in self._conversations.values()
            if c.id not in self._forgotten and c.active_job_id is None
            and (c.id in self._deleted or c.activity < cutoff)
        ]  # fmt: skip
        return [c.id for c in sorted(found, key=lambda c: c.activity)][:limit]

    async def forgot(self, conversation_ids: list[str]) -> None:
        self._forgotten.update(conversation_ids)
