"""The chat acceptance flow through the real edge (dev login, cookies only, as the PWA):
create a conversation, send "이 페트병 어떻게 버려? 근처 수거함도 알려줘", watch waste_rag and
collection_point run, the answer stream in and end with `done`, reload the history; and the
bad requests of the acceptance list answered with their 4xx, storing nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from functions.chat import cli
from functions.chat.memory_repository import MemoryConversationRepository
from functions.scan.cli import events
from tests.e2e.conftest import RunningMesh, login
from tests.e2e.test_scan_flow import upload

SEOUL = {"latitude": 37.5665, "longitude": 126.978}


async def follow(http: httpx.AsyncClient, url: str) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []
    async with asyncio.timeout(30):
        async for name, data in events(http, url):
            seen.append((name, data))
            if name == "done":
                break
    return seen


async def test_the_pwa_chat_flow(running_mesh: RunningMesh) -> None:
    async with httpx.AsyncClient(base_url=running_mesh.url, timeout=30) as http:
        await login(http, "chatter")
        made = await http.post("/api/v1/chat")
        assert made.status_code == 201, made.text
        chat = made.json()["id"]
        body = {"message": "이 페트병 어떻게 버려? 근처 수거함도 알려줘", "user_location": SEOUL}
        sent = await http.post(f"/api/v1/chat/{chat}/messages", json=body)
        assert sent.status_code == 202, sent.text
        seen = await follow(http, sent.json()["stream_url"])
        names = [n for n, _ in seen]
        assert {"waste_rag", "collection_point", "token"} <= set(names) and names[-1] == "done"
        done = seen[-1][1]
        text = "".join(d["content"] for n, d in seen if n == "token")
        assert done["status"] == "completed" and done["result"]["answer"] == text
        read = (await http.get(f"/api/v1/chat/{chat}")).json()
        assert [m["role"] for m in read["messages"]] == ["user", "assistant"]
        assert read["messages"][1]["content"] == text
        listed = (await http.get("/api/v1/chat")).json()["chats"]
        assert listed[0]["id"] == chat and listed[0]["message_count"] == 2


async def test_bad_chat_requests_get_their_4xx_and_store_nothing(
    running_mesh: RunningMesh,
) -> None:
    async with (
        httpx.AsyncClient(base_url=running_mesh.url, timeout=30) as alice,
        httpx.AsyncClient(base_url=running_mesh.url, timeout=30) as mallory,
    ):
        await login(alice, "alice")
        await login(mallory, "mallory")
        chat = (await alice.post("/api/v1/chat")).json()["id"]
        theirs = await upload(mallory)
        url = f"/api/v1/chat/{chat}/messages"
        cases = [
            ({"message": "  "}, 422), ({"message": "가" * 4001}, 422),
            ({"message": "hi", "image_url": "https://evil.example/a.png"}, 400),
            ({"message": "hi", "image_url": theirs}, 404),
            ({"message": "hi", "model": "gpt-unknown-9"}, 400),
            ({"message": "hi", "user_location": {"latitude": 123, "longitude": 0}}, 422),
        ]  # fmt: skip
        for body, status in cases:
            answer = await alice.post(url, json=body)
            assert answer.status_code == status, (body, answer.text)
            assert answer.json()["code"]
        foreign = await mallory.post(url, json={"message": "hi"})
        assert (foreign.status_code, foreign.json()["code"]) == (404, "CHAT_NOT_FOUND")
        assert (await mallory.get(f"/api/v1/chat/{chat}")).status_code == 404
        read = (await alice.get(f"/api/v1/chat/{chat}")).json()
        assert read["messages"] == []
        assert await stored_messages(running_mesh) == 0


async def stored_messages(running: RunningMesh) -> int:
    runtime = running.mesh.runtime
    assert runtime is not None
    repo = await runtime.container.get("chat_conversations")
    if isinstance(repo, MemoryConversationRepository):
        return len(repo._by_id)
    pool = await runtime.container.pg_pool()
    return int(await pool.fetchval("SELECT count(*) FROM chat_messages"))


async def test_the_chat_command_prints_progress_and_the_answer(
    running_mesh: RunningMesh, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli.chat(running_mesh.url, "우유팩 어떻게 버려?", {}) == 0
    printed = capsys.readouterr()
    assert "· waste_rag completed" in printed.err and "· done" not in printed.err
    assert "우유팩" in printed.out and "1. " in printed.out
