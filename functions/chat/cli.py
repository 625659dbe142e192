"""`eco2 chat [--message TEXT]`: talk to 이코 through a running mesh, as the PWA's CHAT tab
does — dev login, a new conversation, each message's stage progress and live tokens.

Only the public contract (cookies, `POST /chat…`, SSE). Without `--message` it reads lines
until an empty one or end of input.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, TextIO

import httpx

from functions.scan.cli import ScanCliError, events, login

PREFIX = "/api/v1/chat"


def _ok(response: httpx.Response, what: str) -> dict[str, Any]:
    if not response.is_success:
        raise ScanCliError(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    found: dict[str, Any] = response.json()
    return found


async def turn(
    http: httpx.AsyncClient, chat_id: str, body: dict[str, Any], out: TextIO, err: TextIO
) -> dict[str, Any]:
    """One message: progress lines on `err`, tokens on `out` as they arrive; the `done` data."""
    sent = _ok(await http.post(f"{PREFIX}/{chat_id}/messages", json=body), "send")
    async for event, data in events(http, sent["stream_url"]):
        if event == "token":
            out.write(data["content"])
            out.flush()
        elif event == "token_recovery":  # the text so far is replaced: shown again, whole
            err.write("\n  · 답을 처음부터 다시 보여 드려요\n")
            out.write(f"\n{data['accumulated']}")
            out.flush()
        elif event == "done":
            out.write("\n")
            return data
        elif event != "keepalive":
            err.write(f"  · {event} {data.get('status', '')} {data.get('message') or ''}\n")
    raise ScanCliError("the stream ended without done")


async def chat(url: str, message: str | None, extra: dict[str, Any]) -> int:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        await login(http)
        chat_id = _ok(await http.post(PREFIX), "new conversation")["id"]
        while True:
            text = message or await asyncio.to_thread(_prompt)
            if not text:
                return 0
            done = await turn(http, chat_id, {"message": text, **extra}, sys.stdout, sys.stderr)
            if done.get("status") != "completed":
                print(f"실패: {done.get('message')}", file=sys.stderr)
                return 1
            if message:
                return 0


def _prompt() -> str:
    try:
        return input("나> ").strip()
    except EOFError:
        return ""


def run(
    url: str, message: str | None, model: str | None, lat: float | None, lon: float | None
) -> int:
    extra: dict[str, Any] = {"model": model} if model else {}
    if lat is not None and lon is not None:
        extra["user_location"] = {"latitude": lat, "longitude": lon}
    try:
        return asyncio.run(chat(url, message, extra))
    except (ScanCliError, httpx.HTTPError) as exc:
        print(f"\nchat failed: {exc}", file=sys.stderr)
        return 1
