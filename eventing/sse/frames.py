"""SSE frames, byte-exact: every frame is named and carries an `id:` (the contract's rule).

Frames are built by hand rather than through sse-starlette's `ServerSentEvent` so that the
field order, the `\\n` separators and the compact UTF-8 JSON are fixed here, and so that one
live event fanned out to several clients of a job is encoded once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from eventing.bus.port import StreamEvent, TokenSnapshot

KEEPALIVE = "keepalive"
TOKEN_RECOVERY = "token_recovery"
ERROR = "error"


def _json(data: Mapping[str, Any]) -> str:
    # ensure_ascii=False: Korean text travels as UTF-8, not \\uXXXX; no newline can appear
    # in the output (json escapes it), so one `data:` line always holds the whole object.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def frame(event: str, seq: int, data: Mapping[str, Any], *, retry_ms: int | None = None) -> bytes:
    retry = f"retry: {retry_ms}\n" if retry_ms is not None else ""
    return f"event: {event}\nid: {seq}\n{retry}data: {_json(data)}\n\n".encode()


def event_frame(event: StreamEvent) -> bytes:
    return frame(event.event, event.seq, event.data)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def keepalive(last_seq: int) -> bytes:
    """`id:` repeats the last delivered seq, so a reconnect after it resumes at the same spot."""
    return frame(KEEPALIVE, last_seq, {"ts": _now()})


def farewell(last_seq: int, retry_ms: int) -> bytes:
    """Sent when this replica drains: a keepalive that tells EventSource when to come back."""
    return frame(KEEPALIVE, last_seq, {"ts": _now(), "reason": "draining"}, retry_ms=retry_ms)


def token_recovery(snapshot: TokenSnapshot) -> bytes:
    """Replaces the client's visible text; `completed` is false because the remaining
    tokens (if any) and `done` always follow it on this stream."""
    data = {
        "stage": TOKEN_RECOVERY,
        "status": "snapshot",
        "accumulated": snapshot.accumulated,
        "last_seq": snapshot.last_seq,
        "completed": False,
    }
    return frame(TOKEN_RECOVERY, snapshot.last_seq, data)


def error(last_seq: int, code: str, message: str) -> bytes:
    return frame(ERROR, last_seq, {"error": code, "message": message})
