"""`/api/v1/chat`: conversations and messages (http-api.md, Chat), owner-only.

Someone else's conversation, a deleted one and an unknown one are the same 404. Sending a
message stores it at once and answers with the run's stream; 이코's answer arrives on that
stream (served by the SSE gateway at `stream_url`) and is stored before its `done`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response

from eventing.bus.port import EventBus
from functions.chat.cursors import (
    list_cursor,
    message_cursor,
    parse_list_cursor,
    parse_message_cursor,
)
from functions.chat.errors import ConversationNotFound
from functions.chat.ports import ConversationRepository
from functions.chat.schemas import (
    ChatCreated,
    ChatList,
    ChatRead,
    MessageAccepted,
    MessageIn,
    Renamed,
    RenameIn,
    TitleIn,
)
from functions.chat.submit import submit
from functions.images.ports import ObjectStore
from functions.kit.identity import CurrentUser
from functions.kit.llm.port import LLM
from functions.kit.openapi import errors
from functions.kit.publisher import Publisher
from functions.kit.settings import Settings
from functions.kit.text import Text

PREFIX = "/api/v1/chat"
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[Text | None, Query(max_length=512)]
# Ids are UUIDs; the pattern documents what a path can carry (the Guard refuses the rest).
ChatId = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,64}$", description="A conversation id")]


def router(
    *,
    chat_conversations: ConversationRepository,
    event_bus: EventBus,
    publisher: Publisher,
    llm: LLM,
    object_store: ObjectStore,
    settings: Settings,
) -> APIRouter:
    api = APIRouter(tags=["chat"])
    _reads(api, chat_conversations)
    _edits(api, chat_conversations)

    @api.post(
        "/{chat_id}/messages",
        status_code=202,
        response_model=MessageAccepted,
        responses=errors(400, 401, 404, 409, 503),
    )
    async def send(chat_id: ChatId, body: MessageIn, user: CurrentUser) -> dict[str, Any]:
        done = await submit(
            chat_id, user, body, conversations=chat_conversations, store=object_store,
            llm=llm, bus=event_bus, publisher=publisher, settings=settings,
        )  # fmt: skip
        return {
            "job_id": done.job_id,
            "stream_url": f"{PREFIX}/{done.job_id}/events",
            "status": "submitted",
        }

    return api


def _reads(api: APIRouter, repo: ConversationRepository) -> None:
    @api.get("", response_model=ChatList, responses=errors(400, 401))
    async def list_chats(user: CurrentUser, limit: Limit = 20, cursor: Cursor = None) -> Any:
        after = parse_list_cursor(cursor) if cursor else None
        page = await repo.list_for(user, limit + 1, after)
        more, page = len(page) > limit, page[:limit]
        last = page[-1] if more else None
        return {
            "chats": [c.as_summary() for c in page],
            "next_cursor": list_cursor(last.activity, last.id) if last else None,
        }

    @api.get("/{chat_id}", response_model=ChatRead, responses=errors(400, 401, 404))
    async def read(
        chat_id: ChatId, user: CurrentUser, limit: Limit = 50, cursor: Cursor = None
    ) -> dict[str, Any]:
        before = parse_message_cursor(cursor) if cursor else None
        found = await repo.get(chat_id, user)
        if found is None:
            raise ConversationNotFound(f"no conversation {chat_id}")
        page = await repo.messages(found.id, before, limit + 1)
        more, page = len(page) > limit, page[-limit:]
        return {
            "id": found.id,
            "title": found.title,
            "messages": [m.as_contract() for m in page],
            "has_more": more,
            "next_cursor": message_cursor(page[0].seq) if more and page else None,
            "created_at": found.created_at.isoformat(),
        }


def _edits(api: APIRouter, repo: ConversationRepository) -> None:
    @api.post("", status_code=201, response_model=ChatCreated, responses=errors(401))
    async def create(
        user: CurrentUser, body: Annotated[TitleIn | None, Body()] = None
    ) -> dict[str, Any]:
        made = await repo.create(user, body.title if body else None, datetime.now(UTC))
        return {"id": made.id, "title": made.title, "created_at": made.created_at.isoformat()}

    @api.patch("/{chat_id}", response_model=Renamed, responses=errors(401, 404))
    async def rename(chat_id: ChatId, body: RenameIn, user: CurrentUser) -> dict[str, Any]:
        if not await repo.rename(chat_id, user, body.title):
            raise ConversationNotFound(f"no conversation {chat_id}")
        return {"id": chat_id, "title": body.title}

    @api.delete("/{chat_id}", status_code=204, response_class=Response,
                responses=errors(401, 404))  # fmt: skip
    async def delete(chat_id: ChatId, user: CurrentUser) -> Response:
        if not await repo.delete(chat_id, user):
            raise ConversationNotFound(f"no conversation {chat_id}")
        return Response(status_code=204)
