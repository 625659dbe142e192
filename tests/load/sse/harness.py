"""A real uvicorn server on 127.0.0.1:0 in the test's event loop, and SSE frame parsing.

The gateway is tested over real HTTP (httpx's ASGI transport buffers whole responses, which
hides exactly the streaming behaviour under test).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from httpx_sse import aconnect_sse
from starlette.types import ASGIApp


@dataclass(frozen=True)
class Frame:
    event: str
    id: int
    data: dict[str, Any]
    retry: int | None = None


def parse_frames(raw: bytes) -> list[Frame]:
    """Split a byte stream of complete SSE frames (as the gateway writes them)."""
    frames: list[Frame] = []
    for block in raw.decode().split("\n\n"):
        if not block:
            continue
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            fields[name] = value
        retry = int(fields["retry"]) if "retry" in fields else None
        frames.append(Frame(fields["event"], int(fields["id"]), json.loads(fields["data"]), retry))
    return frames


def token_text(frames: list[Frame]) -> str:
    """What the client shows: tokens appended, `token_recovery` replacing the text."""
    text = ""
    for f in frames:
        if f.event == "token_recovery":
            text = f.data["accumulated"]
        elif f.event == "token":
            text += f.data["content"]
    return text


@contextlib.asynccontextmanager
async def serve(
    app: ASGIApp, *, graceful_s: float = 10.0, sndbuf: int | None = None
) -> AsyncIterator[uvicorn.Server]:
    """Run `app` until the block ends; `server.config.port` holds the chosen port.

    `sndbuf` fixes the send buffer of every accepted connection (Linux copies it from the
    listening socket), so a client that stops reading pushes back after kilobytes, not MBs.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if sndbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=int(graceful_s),
    )
    config.port = sock.getsockname()[1]
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                await task  # raises what failed the startup
                raise RuntimeError("server exited during startup")
            await asyncio.sleep(0.01)
        yield server
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, graceful_s + 5)
        finally:
            sock.close()


def base_url(server: uvicorn.Server) -> str:
    return f"http://127.0.0.1:{server.config.port}"


async def read_sse(
    client: httpx.AsyncClient,
    path: str,
    user: str | None = "alice",
    *,
    last_event_id: int | None = None,
    stop_after: int | None = None,
) -> list[Frame]:
    """One EventSource-like connection with httpx-sse: every frame until the server closes
    (or until `stop_after` frames, then the client disconnects)."""
    headers = {} if user is None else {"x-user-id": user}
    if last_event_id is not None:
        headers["last-event-id"] = str(last_event_id)
    frames: list[Frame] = []
    async with aconnect_sse(client, "GET", path, headers=headers) as source:
        source.response.raise_for_status()
        async for sse in source.aiter_sse():
            frames.append(Frame(sse.event, int(sse.id), json.loads(sse.data), sse.retry))
            if stop_after is not None and len(frames) >= stop_after:
                break
    return frames
