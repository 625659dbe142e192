"""`/api/v1/chat` on the in-memory adapters: conversations owner-only, newest first with a
cursor, messages oldest→newest in pages, rename and soft delete; sending a message stores it,
registers the stream and publishes the event; a second message while a run is active is a
409; every bad input is a 4xx that stores and publishes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cloudevents.http import CloudEvent
from fastapi import FastAPI

from eventing.bus.memory import InMemoryEventBus
from eventing.catalog import default_catalog
from functions.chat import api
from functions.chat.memory_repository import MemoryConversationRepository
from functions.chat.model import Message
from functions.images.blob_stores import MemoryBlobStore
from functions.images.local_store import LocalObjectStore
from functions.kit import http as kit_http
from functions.kit.publisher import Publisher
from functions.kit.settings import Settings
from tests.support.chat import offline_llm
from tests.support.photos import png_1x1

BASE = "http://mesh"
ALICE, BOB = str(uuid.uuid4()), str(uuid.uuid4())


@dataclass
class App:
    http: httpx.AsyncClient
    repo: MemoryConversationRepository
    bus: InMemoryEventBus
    store: LocalObjectStore
    blobs: MemoryBlobStore
    sent: list[CloudEvent] = field(default_factory=list)

    async def as_user(self, user: str, method: str, path: str, **kw: Any) -> httpx.Response:
        return await self.http.request(method, f"{api.PREFIX}{path}",
                                       headers={"x-user-id": user}, **kw)  # fmt: skip

    async def image(self, user: str) -> str:
        key = f"chat/{user}/{uuid.uuid4().hex}.png"
        await self.blobs.put(key, png_1x1(), "image/png")
        return self.store.public_url(key)


@pytest.fixture
async def app() -> AsyncIterator[App]:
    blobs = MemoryBlobStore()
    store = LocalObjectStore(blobs, BASE, b"k" * 32)
    repo, bus, sent = MemoryConversationRepository(), InMemoryEventBus(), []

    async def send(event: CloudEvent) -> None:
        sent.append(event)

    web = FastAPI()
    kit_http.install(web)
    web.include_router(api.router(
        chat_conversations=repo, event_bus=bus, publisher=Publisher(default_catalog(), send),
        llm=offline_llm(), object_store=store, settings=Settings(chat_message_max_chars=50),
    ), prefix=api.PREFIX)  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url=BASE) as http:
        yield App(http, repo, bus, store, blobs, sent)


async def test_conversations_are_created_listed_renamed_and_deleted(app: App) -> None:
    made = await app.as_user(ALICE, "POST", "")
    assert made.status_code == 201 and made.json()["title"] == "새 대화"
    named = await app.as_user(ALICE, "POST", "", json={"title": "페트병 질문"})
    assert named.status_code == 201 and set(named.json()) == {"id", "title", "created_at"}
    first, second = made.json()["id"], named.json()["id"]
    listed = (await app.as_user(ALICE, "GET", "")).json()
    assert [c["id"] for c in listed["chats"]] == [second, first] and listed["next_cursor"] is None
    assert set(listed["chats"][0]) == {"id", "title", "preview", "message_count",
                                       "last_message_at", "created_at"}  # fmt: skip
    assert (await app.as_user(ALICE, "PATCH", f"/{first}", json={"title": "새 이름"})).is_success
    read = (await app.as_user(ALICE, "GET", f"/{first}")).json()
    assert (read["title"], read["messages"], read["has_more"]) == ("새 이름", [], False)
    assert (await app.as_user(ALICE, "DELETE", f"/{first}")).status_code == 204
    assert (await app.as_user(ALICE, "GET", f"/{first}")).status_code == 404
    assert [c["id"] for c in (await app.as_user(ALICE, "GET", "")).json()["chats"]] == [second]
    assert (await app.http.get(api.PREFIX)).status_code == 401


async def test_someone_elses_conversation_is_404_everywhere(app: App) -> None:
    mine = (await app.as_user(ALICE, "POST", "")).json()["id"]
    for method, path, body in [
        ("GET", f"/{mine}", None), ("PATCH", f"/{mine}", {"title": "x"}),
        ("DELETE", f"/{mine}", None), ("POST", f"/{mine}/messages", {"message": "안녕"}),
        ("GET", "/not-a-uuid", None),
    ]:  # fmt: skip
        answer = await app.as_user(BOB, method, path, json=body)
        assert (answer.status_code, answer.json()["code"]) == (404, "CHAT_NOT_FOUND"), path
    assert (await app.as_user(BOB, "GET", "")).json()["chats"] == []
    assert (await app.repo.get(mine, ALICE)) is not None and app.sent == []


async def test_the_list_pages_newest_activity_first(app: App) -> None:
    ids = [(await app.as_user(ALICE, "POST", "")).json()["id"] for _ in range(3)]
    await say(app, ids[0], "우유팩", minutes=5)  # the oldest conversation is now the newest
    page = (await app.as_user(ALICE, "GET", "", params={"limit": 2})).json()
    assert [c["id"] for c in page["chats"]] == [ids[0], ids[2]] and page["next_cursor"]
    rest = await app.as_user(ALICE, "GET", "", params={"limit": 2, "cursor": page["next_cursor"]})
    assert [c["id"] for c in rest.json()["chats"]] == [ids[1]]
    assert rest.json()["next_cursor"] is None
    bad = await app.as_user(ALICE, "GET", "", params={"cursor": "bm9wZQ"})
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_CURSOR")


async def say(app: App, conversation: str, text: str, minutes: int = 0) -> None:
    at = datetime.now(UTC) + timedelta(minutes=minutes)
    job = str(uuid.uuid4())
    await app.repo.add_user_message(conversation, ALICE, Message(
        id=str(uuid.uuid4()), conversation_id=conversation, seq=0, role="user", content=text,
        created_at=at, job_id=job,
    ), 0)  # fmt: skip
    await app.repo.fail_run(conversation, job)


async def test_messages_read_oldest_to_newest_in_pages(app: App) -> None:
    chat = (await app.as_user(ALICE, "POST", "")).json()["id"]
    for n in range(5):
        await say(app, chat, f"m{n}")
    page = (await app.as_user(ALICE, "GET", f"/{chat}", params={"limit": 2})).json()
    assert [m["content"] for m in page["messages"]] == ["m3", "m4"] and page["has_more"]
    older = await app.as_user(ALICE, "GET", f"/{chat}",
                              params={"limit": 2, "cursor": page["next_cursor"]})  # fmt: skip
    assert [m["content"] for m in older.json()["messages"]] == ["m1", "m2"]
    cursor = older.json()["next_cursor"]
    last = await app.as_user(ALICE, "GET", f"/{chat}", params={"limit": 2, "cursor": cursor})
    assert [m["content"] for m in last.json()["messages"]] == ["m0"]
    assert (last.json()["has_more"], last.json()["next_cursor"]) == (False, None)
    assert page["title"] == "m0"  # the first message names an untitled conversation
    summary = (await app.as_user(ALICE, "GET", "")).json()["chats"][0]
    assert (summary["message_count"], summary["preview"]) == (5, "m4")


async def test_a_message_is_stored_streamed_and_published(app: App) -> None:
    chat = (await app.as_user(ALICE, "POST", "")).json()["id"]
    image = await app.image(ALICE)
    body = {"message": " 이 페트병 어떻게 버려? ", "image_url": image, "model": "gpt-5.2",
            "user_location": {"latitude": 37.56, "longitude": 126.97}}  # fmt: skip
    sent = await app.as_user(ALICE, "POST", f"/{chat}/messages", json=body)
    assert sent.status_code == 202, sent.text
    job = sent.json()["job_id"]
    assert sent.json() == {"job_id": job, "stream_url": f"/api/v1/chat/{job}/events",
                           "status": "submitted"}  # fmt: skip
    read = (await app.as_user(ALICE, "GET", f"/{chat}")).json()
    assert [(m["role"], m["content"], m.get("image_url")) for m in read["messages"]] == [
        ("user", "이 페트병 어떻게 버려?", image)
    ]
    assert await app.bus.owner_of(job) == ALICE
    assert [e.event for e in (await app.bus.read_since(job, 0)).events] == ["queued"]
    [event] = app.sent
    assert (event["type"], event["id"]) == ("kr.eco2.chat.message.submitted.v1", job)
    data = event.get_data()
    assert data["model"] == "offline"  # gpt-5.2 offered, served here by the default model
    assert data["location"] == {"latitude": 37.56, "longitude": 126.97}
    assert data["image_key"].startswith(f"chat/{ALICE}/")
    again = await app.as_user(ALICE, "POST", f"/{chat}/messages", json={"message": "또?"})
    assert (again.status_code, again.json()["code"]) == (409, "CHAT_RUN_ACTIVE")
    await app.repo.fail_run(chat, job)
    assert (
        await app.as_user(ALICE, "POST", f"/{chat}/messages", json={"message": "또?"})
    ).is_success


BAD = [
    ({"message": "   "}, 422, "VALIDATION_ERROR"),
    ({"message": ""}, 422, "VALIDATION_ERROR"),
    ({"message": "가" * 51}, 400, "MESSAGE_TOO_LONG"),
    ({"message": "가" * 4001}, 422, "VALIDATION_ERROR"),
    ({"message": "a\x00b"}, 422, "VALIDATION_ERROR"),
    ({"message": "hi", "image_url": "https://evil.example/x.png"}, 400, "FOREIGN_IMAGE_URL"),
    ({"message": "hi", "model": "gpt-unknown-9"}, 400, "UNKNOWN_MODEL"),
    ({"message": "hi", "model": "offline"}, 400, "UNKNOWN_MODEL"),
    ({"message": "hi", "user_location": {"latitude": 91, "longitude": 0}}, 422, "VALIDATION_ERROR"),
    ({"message": "hi", "user_location": {"latitude": 0, "longitude": -181}}, 422,
     "VALIDATION_ERROR"),
    ({"message": "hi", "user_location": {"latitude": "x"}}, 422, "VALIDATION_ERROR"),
    ({}, 422, "VALIDATION_ERROR"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "status", "code"), BAD)
async def test_bad_input_is_a_4xx_and_stores_nothing(
    app: App, body: dict[str, Any], status: int, code: str
) -> None:
    chat = (await app.as_user(ALICE, "POST", "")).json()["id"]
    answer = await app.as_user(ALICE, "POST", f"/{chat}/messages", json=body)
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    found = await app.repo.get(chat, ALICE)
    assert found is not None and found.message_count == 0 and found.active_job_id is None
    assert app.sent == []


async def test_someone_elses_image_is_404_and_stores_nothing(app: App) -> None:
    chat = (await app.as_user(ALICE, "POST", "")).json()["id"]
    theirs = await app.image(BOB)
    answer = await app.as_user(ALICE, "POST", f"/{chat}/messages",
                               json={"message": "이거 뭐야", "image_url": theirs})  # fmt: skip
    assert (answer.status_code, answer.json()["code"]) == (404, "IMAGE_NOT_FOUND")
    found = await app.repo.get(chat, ALICE)
    assert found is not None and found.message_count == 0 and app.sent == []
