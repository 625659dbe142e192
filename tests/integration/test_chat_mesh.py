"""Chat through the embedded mesh on a real port (no edge: the caller's id is the header the
edge would inject): create a conversation, send the acceptance message, follow the SSE stream
to `done`, read the history; resume mid-stream after a token's id without a gap or a
duplicate; only the owner may subscribe."""

from __future__ import annotations

import io
from typing import Any

import httpx

from functions.chat import cli
from functions.kit.bootstrap import build_registry
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings
from tests.load.sse.harness import Frame, base_url, read_sse, serve, token_text

ALICE = "7c4e3f0a-1b2c-4d5e-8f90-a1b2c3d4e5f6"
SEOUL = {"latitude": 37.5665, "longitude": 126.978}


async def post(http: httpx.AsyncClient, path: str, body: Any = None) -> httpx.Response:
    return await http.post(f"/api/v1/chat{path}", json=body, headers={"x-user-id": ALICE})


async def test_a_message_streams_its_answer_and_the_history_keeps_it() -> None:
    mesh = Mesh(Settings(), build_registry())
    async with (
        serve(mesh.app) as server,
        httpx.AsyncClient(base_url=base_url(server), timeout=30) as http,
    ):
        chat = (await post(http, "")).json()["id"]
        body = {"message": "이 페트병 어떻게 버려? 근처 수거함도 알려줘", "user_location": SEOUL}
        sent = await post(http, f"/{chat}/messages", body)
        assert sent.status_code == 202, sent.text
        frames = await read_sse(http, sent.json()["stream_url"], ALICE)
        check_stream(frames)
        done = frames[-1].data
        history = await http.get(f"/api/v1/chat/{chat}", headers={"x-user-id": ALICE})
        messages = history.json()["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"]
        assert messages[1]["content"] == done["result"]["answer"] == token_text(frames)
        ids = done["result"]["persistence"]
        assert (ids["user_message"], ids["assistant_message"]) == tuple(m["id"] for m in messages)
        middle = next(f for f in frames[len(frames) // 2 :] if f.event == "token")
        resumed = await read_sse(http, sent.json()["stream_url"], ALICE, last_event_id=middle.id)
        assert [(f.id, f.event, f.data) for f in resumed] == [
            (f.id, f.event, f.data) for f in frames if f.id > middle.id
        ]
        other = await http.get(sent.json()["stream_url"], headers={"x-user-id": "mallory"})
        assert other.status_code == 404
        again = await post(http, f"/{chat}/messages", {"message": "고마워"})
        assert again.status_code == 202  # the run ended: the conversation takes the next one
        listed = (await http.get("/api/v1/chat", headers={"x-user-id": ALICE})).json()
        assert listed["chats"][0]["id"] == chat and listed["chats"][0]["message_count"] >= 3
        await read_sse(http, again.json()["stream_url"], ALICE)  # let it finish
        out, err = io.StringIO(), io.StringIO()
        http.headers["x-user-id"] = ALICE
        done = await cli.turn(http, chat, {"message": "우유팩 어떻게 버려?"}, out, err)
        assert done["status"] == "completed" and out.getvalue() == done["result"]["answer"] + "\n"
        assert "· answer completed" in err.getvalue()


def check_stream(frames: list[Frame]) -> None:
    ids = [f.id for f in frames]
    assert ids == sorted(set(ids)) and frames[0].event == "queued"
    names = {f.event for f in frames}
    assert {"intent", "waste_rag", "collection_point", "weather", "aggregator", "answer",
            "token", "done"} <= names  # fmt: skip
    done = frames[-1]
    assert (done.event, done.data["status"], done.data["progress"]) == ("done", "completed", 100)
    assert done.data["result"]["intent"] == "waste"
    answer = done.data["result"]["answer"]
    assert "무색페트병" in answer and "수거함" in answer
