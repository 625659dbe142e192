"""One user of the chat bench: the PWA's chat flow, cookies only, on one conversation.

Login (the dev provider, through the edge and the Go authz), `POST /chat`, then per turn:
`POST /chat/{id}/messages` (the message carries a `[bench:<tag>]` the fake LLM records with
its timings) and follow the SSE stream to `done` as EventSource does — a stream that ends
without `done` is opened again with `Last-Event-ID`. Every token is checked as it arrives: the
fake numbers its tokens (`t0001 t0002 …`), so a doubled, skipped or reordered one shows.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from tests.load.scan.vu import VU, Failed
from tests.support.paced_llm import numbered_text, token_numbers

STREAM = httpx.Timeout(10, read=90)
RETRY_S = 0.5
QUESTION = "우유팩 어떻게 버려?"


@dataclass
class Turn:
    """One message and its answer. Times are CLOCK_MONOTONIC seconds (system-wide)."""

    user: int
    turn: int
    tag: str
    posted_at: float = 0.0
    job_id: str | None = None
    accepted_at: float = 0.0  # the POST's 202
    first_token_at: float = 0.0
    last_token_at: float = 0.0
    done_at: float = 0.0
    outcome: str = ""  # completed | failed | error: <kind>
    tokens: int = 0  # tokens received in order, once each
    duplicates: int = 0
    gaps: int = 0  # tokens skipped
    recoveries: int = 0  # token_recovery snapshots
    reconnects: int = 0
    exact: bool = False  # the whole answer, each token once, in order, == done's answer
    stages: dict[str, float] = field(default_factory=dict)  # first `started` of each stage
    # A turn that is not exact keeps what it saw, for the bench's `inexact.json`: each frame
    # as [seq, event, token numbers or status] and each connection as ["connect", last id].
    trace: list[list[Any]] = field(default_factory=list)


class Reader:
    """What the client shows, and the token checks, frame by frame."""

    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        self.text = ""
        self.next = 1
        self.last_id: int | None = None
        self.done: dict[str, Any] | None = None
        self.frames: list[list[Any]] = []

    def frame(self, event: str, sse_id: str, data: dict[str, Any]) -> None:
        self.frames.append([sse_id, event, brief(event, data)])
        if sse_id:
            self.last_id = int(sse_id)
        if event == "token":
            self._tokens(data["content"])
            self.text += data["content"]
        elif event == "token_recovery":
            self.turn.recoveries += 1
            self.text = data["accumulated"]
            self.next = len(token_numbers(self.text)) + 1
        elif event == "done":
            self.done = data
        elif data.get("status") == "started" and event not in self.turn.stages:
            self.turn.stages[event] = time.monotonic()

    def _tokens(self, content: str) -> None:
        now = time.monotonic()
        self.turn.first_token_at = self.turn.first_token_at or now
        self.turn.last_token_at = now
        for n in token_numbers(content):
            if n == self.next:
                self.turn.tokens += 1
                self.next += 1
            elif n < self.next:
                self.turn.duplicates += 1
            else:
                self.turn.gaps += n - self.next
                self.turn.tokens += 1
                self.next = n + 1


def brief(event: str, data: Mapping[str, Any]) -> Any:
    """One frame as the bench's dumps show it: token numbers (first, last) or the status."""
    if event == "token":
        numbers = token_numbers(data["content"])
        return [numbers[0], numbers[-1]] if numbers else data["content"][:20]
    if event == "token_recovery":
        return [len(token_numbers(data["accumulated"])), data.get("last_seq")]
    return data.get("status")


class ChatUser(VU):
    def __init__(self, index: int, user: str, transport: httpx.AsyncBaseTransport,
                 cfg: dict[str, Any]) -> None:  # fmt: skip
        super().__init__(index, user, transport, {**cfg, "photo": b""})
        self.conversation: str | None = None
        self.turns: list[Turn] = []

    async def open(self) -> None:
        made = await self.call("POST", "/api/v1/chat")
        if made.status_code != 201:
            raise Failed(f"create {made.status_code}")
        self.conversation = made.json()["id"]

    async def converse(self, turns: int, tokens: int, deadline: float, at: float = 0.0) -> None:
        """`turns` messages, one after the other's `done`; the first at `at` (monotonic)."""
        await asyncio.sleep(max(0.0, at - time.monotonic()))  # the arrival schedule
        for k in range(turns):
            turn = Turn(self.index, k, f"{self.index}-{k}")
            self.turns.append(turn)
            try:
                await self.turn(turn, tokens, deadline)
            except Failed as exc:
                turn.outcome = f"error: {exc.kind}"
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                turn.outcome = f"error: {type(exc).__name__}"
            if turn.outcome != "completed":
                return  # the conversation may still be busy: the next turn would be a 409

    async def turn(self, turn: Turn, tokens: int, deadline: float) -> None:
        body = {"message": f"{QUESTION} [bench:{turn.tag}]"}
        turn.posted_at = time.monotonic()
        sent = await self.call("POST", f"/api/v1/chat/{self.conversation}/messages", json=body)
        turn.accepted_at = time.monotonic()
        if sent.status_code != 202:
            raise Failed(f"send {sent.status_code}")
        turn.job_id = sent.json()["job_id"]
        reader = Reader(turn)
        await self.follow_to_done(sent.json()["stream_url"], reader, deadline)
        turn.done_at = time.monotonic()
        done = reader.done or {}
        turn.outcome = str(done.get("status") or "error: no done")
        answer = (done.get("result") or {}).get("answer")
        turn.exact = (
            turn.outcome == "completed" and not turn.duplicates and not turn.gaps
            and reader.text == answer == numbered_text(tokens)
        )  # fmt: skip
        if not turn.exact:
            turn.trace = reader.frames

    async def follow_to_done(self, url: str, reader: Reader, deadline: float) -> None:
        """To `done`, reconnecting with the last id after a cut (until `deadline`)."""
        while reader.done is None and time.monotonic() < deadline:
            headers = {} if reader.last_id is None else {"Last-Event-ID": str(reader.last_id)}
            reader.frames.append(["connect", reader.last_id, time.monotonic()])
            try:
                async with aconnect_sse(self.http, "GET", url, headers=headers,
                                        timeout=STREAM) as source:  # fmt: skip
                    if source.response.status_code == 401:
                        await self.http.post("/api/v1/auth/refresh")
                        continue
                    if source.response.status_code != 200:
                        raise Failed(f"stream {source.response.status_code}")
                    async for sse in source.aiter_sse():
                        reader.frame(sse.event, sse.id, json.loads(sse.data))
            except (httpx.TransportError, json.JSONDecodeError):
                pass
            if reader.done is None:
                reader.turn.reconnects += 1
                await asyncio.sleep(RETRY_S)  # EventSource's retry delay, not a sync point
