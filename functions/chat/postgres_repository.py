"""PostgreSQL conversations (asyncpg). A message and the counters it changes are one
transaction holding the conversation row (`FOR UPDATE`), so concurrent messages get distinct
`seq`s and the count, preview and last-message time always match the messages.

asyncpg's errors stop here, as in the scan repository: unreachable → `UnavailableError`
(503, retried), text PostgreSQL cannot store → `BadRequestError` (400)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import asyncpg  # type: ignore[import-untyped]

from functions.chat.errors import ConversationNotFound, RunActive
from functions.chat.model import DEFAULT_TITLE, Conversation, Message, preview_of, title_from
from functions.kit.errors import BadRequestError, UnavailableError

CONVERSATION = (
    "id, user_id, title, titled, preview, message_count, last_message_at, created_at,"
    " active_job_id, active_since"
)
MESSAGE = "id, conversation_id, seq, role, content, image_url, job_id, created_at"
ACTIVITY = "coalesce(last_message_at, created_at)"
P = ParamSpec("P")
T = TypeVar("T")
UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.TransactionRollbackError,
)


def _translated(
    method: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    @functools.wraps(method)
    async def translated(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except asyncpg.DataError as exc:
            raise BadRequestError("the request holds characters that cannot be stored") from exc
        except UNAVAILABLE as exc:
            raise UnavailableError("the chat store is unavailable, retry later") from exc

    return translated


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _conversation(row: Any) -> Conversation:
    return Conversation(
        id=str(row["id"]), user_id=row["user_id"], title=row["title"], titled=row["titled"],
        preview=row["preview"], message_count=row["message_count"],
        last_message_at=row["last_message_at"], created_at=row["created_at"],
        active_job_id=str(row["active_job_id"]) if row["active_job_id"] else None,
        active_since=row["active_since"],
    )  # fmt: skip


def _message(row: Any) -> Message:
    return Message(
        id=str(row["id"]), conversation_id=str(row["conversation_id"]), seq=row["seq"],
        role=row["role"], content=row["content"], created_at=row["created_at"],
        image_url=row["image_url"], job_id=str(row["job_id"]) if row["job_id"] else None,
    )  # fmt: skip


class PostgresConversationRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @_translated
    async def create(self, user_id: str, title: str | None, now: datetime) -> Conversation:
        row = await self._pool.fetchrow(
            "INSERT INTO chat_conversations (id, user_id, title, titled, created_at)"
            f" VALUES ($1, $2, $3, $4, $5) RETURNING {CONVERSATION}",
            uuid.uuid4(), user_id, title or DEFAULT_TITLE, bool(title), now,
        )  # fmt: skip
        return _conversation(row)

    @_translated
    async def get(self, conversation_id: str, user_id: str) -> Conversation | None:
        key = _uuid(conversation_id)
        if key is None:
            return None
        row = await self._pool.fetchrow(
            f"SELECT {CONVERSATION} FROM chat_conversations"
            " WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL",
            key, user_id,
        )  # fmt: skip
        return _conversation(row) if row else None

    @_translated
    async def list_for(
        self, user_id: str, limit: int, after: tuple[datetime, str] | None
    ) -> list[Conversation]:
        where = "user_id = $1 AND deleted_at IS NULL"
        args: list[Any] = [user_id, limit]
        if after is not None:
            cursor_id = _uuid(after[1])
            if cursor_id is None:
                return []
            where += f" AND ({ACTIVITY}, id) < ($3, $4)"
            args += [after[0], cursor_id]
        rows = await self._pool.fetch(
            f"SELECT {CONVERSATION} FROM chat_conversations WHERE {where}"
            f" ORDER BY {ACTIVITY} DESC, id DESC LIMIT $2",
            *args,
        )
        return [_conversation(r) for r in rows]

    @_translated
    async def rename(self, conversation_id: str, user_id: str, title: str) -> bool:
        return await self._update(conversation_id, user_id, "title = $3, titled = true", title)

    @_translated
    async def delete(self, conversation_id: str, user_id: str) -> bool:
        return await self._update(conversation_id, user_id, "deleted_at = clock_timestamp()")

    async def _update(self, conversation_id: str, user_id: str, sets: str, *args: Any) -> bool:
        key = _uuid(conversation_id)
        if key is None:
            return False
        status = await self._pool.execute(
            f"UPDATE chat_conversations SET {sets}"
            " WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL",
            key, user_id, *args,
        )  # fmt: skip
        return bool(status.endswith(" 1"))

    @_translated
    async def messages(
        self, conversation_id: str, before_seq: int | None, limit: int
    ) -> list[Message]:
        key = _uuid(conversation_id)
        if key is None or limit <= 0:
            return []
        rows = await self._pool.fetch(
            f"SELECT {MESSAGE} FROM chat_messages WHERE conversation_id = $1"
            " AND ($2::integer IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3",
            key, before_seq, limit,
        )  # fmt: skip
        return [_message(r) for r in reversed(rows)]

    @_translated
    async def message(self, message_id: str) -> Message | None:
        key = _uuid(message_id)
        if key is None:
            return None
        row = await self._pool.fetchrow(f"SELECT {MESSAGE} FROM chat_messages WHERE id = $1", key)
        return _message(row) if row else None

    @_translated
    async def add_user_message(
        self, conversation_id: str, user_id: str, message: Message, active_ttl_s: float
    ) -> Message:
        key = _uuid(conversation_id)
        if key is None:
            raise ConversationNotFound(f"no conversation {conversation_id}")
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                f"SELECT {CONVERSATION} FROM chat_conversations"
                " WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL FOR UPDATE",
                key, user_id,
            )  # fmt: skip
            if row is None:
                raise ConversationNotFound(f"no conversation {conversation_id}")
            found = _conversation(row)
            if found.busy(message.created_at, active_ttl_s):
                raise RunActive(f"이코 is still answering (job {found.active_job_id})")
            stored = await _append(conn, found, message)
            auto_title = not found.titled and found.message_count == 0
            await conn.execute(
                "UPDATE chat_conversations SET active_job_id = $2, active_since = $3,"
                " memory_kept = true,"
                " title = CASE WHEN $4 THEN $5 ELSE title END WHERE id = $1",
                key, uuid.UUID(str(message.job_id)), message.created_at, auto_title,
                title_from(message.content),
            )  # fmt: skip
        return stored

    @_translated
    async def finish_run(
        self, conversation_id: str, job_id: str, message: Message
    ) -> Message | None:
        key = uuid.UUID(conversation_id)
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                f"SELECT {CONVERSATION} FROM chat_conversations WHERE id = $1 FOR UPDATE", key
            )
            kept = await conn.fetchrow(
                f"SELECT {MESSAGE} FROM chat_messages WHERE id = $1", uuid.UUID(message.id)
            )
            if kept is not None:
                stored: Message | None = _message(kept)
            elif row is None or await _deleted(conn, key):
                stored = None
            else:
                stored = await _append(conn, _conversation(row), message)
            await _clear_active(conn, key, job_id)
        return stored

    @_translated
    async def forgettable(self, idle_s: float, limit: int) -> list[str]:
        rows = await self._pool.fetch(
            "SELECT id FROM chat_conversations WHERE memory_kept AND active_job_id IS NULL"
            f" AND (deleted_at IS NOT NULL"
            f" OR {ACTIVITY} < clock_timestamp() - make_interval(secs => $1))"
            f" ORDER BY {ACTIVITY} LIMIT $2",
            float(idle_s), limit,
        )  # fmt: skip
        return [str(r["id"]) for r in rows]

    @_translated
    async def forgot(self, conversation_ids: list[str]) -> None:
        keys = [k for k in (_uuid(i) for i in conversation_ids) if k is not None]
        await self._pool.execute(
            "UPDATE chat_conversations SET memory_kept = false WHERE id = ANY($1::uuid[])", keys
        )

    @_translated
    async def fail_run(self, conversation_id: str, job_id: str) -> None:
        async with self._pool.acquire() as conn:
            await _clear_active(conn, uuid.UUID(conversation_id), job_id)


async def _append(conn: Any, conversation: Conversation, message: Message) -> Message:
    """The message with the next seq, and the counters it changes, in the caller's
    transaction (which holds the conversation row)."""
    row = await conn.fetchrow(
        "WITH bumped AS (UPDATE chat_conversations SET message_count = message_count + 1,"
        " preview = $6, last_message_at = greatest(coalesce(last_message_at, $7), $7)"
        " WHERE id = $2 RETURNING message_count)"
        " INSERT INTO chat_messages (id, conversation_id, seq, role, content, image_url, job_id,"
        " created_at) SELECT $1::uuid, $2::uuid, bumped.message_count, $3::text, $4::text,"
        " $5::text, $8::uuid, $7::timestamptz FROM bumped"
        f" RETURNING {MESSAGE}",
        uuid.UUID(message.id), uuid.UUID(conversation.id), message.role, message.content,
        message.image_url, preview_of(message.content), message.created_at,
        uuid.UUID(message.job_id) if message.job_id else None,
    )  # fmt: skip
    return _message(row)


async def _deleted(conn: Any, key: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT deleted_at IS NOT NULL FROM chat_conversations WHERE id = $1", key
        )
    )


async def _clear_active(conn: Any, key: uuid.UUID, job_id: str) -> None:
    await conn.execute(
        "UPDATE chat_conversations SET active_job_id = NULL, active_since = NULL"
        " WHERE id = $1 AND active_job_id = $2",
        key, uuid.UUID(job_id),
    )  # fmt: skip
