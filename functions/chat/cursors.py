"""Opaque page cursors: what the client sends back is never parsed as anything but ours."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from functions.chat.errors import InvalidCursor


def _encode(value: object) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> object:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor("the cursor is not one this API handed out") from None


def list_cursor(activity: datetime, conversation_id: str) -> str:
    return _encode([activity.isoformat(), conversation_id])


def parse_list_cursor(cursor: str) -> tuple[datetime, str]:
    value = _decode(cursor)
    try:
        assert isinstance(value, list) and len(value) == 2
        at, conversation_id = value
        found = datetime.fromisoformat(str(at))
        assert found.tzinfo is not None and isinstance(conversation_id, str)
    except (AssertionError, ValueError, TypeError):
        raise InvalidCursor("the cursor is not one this API handed out") from None
    return found, conversation_id


def message_cursor(seq: int) -> str:
    return _encode({"before": seq})


def parse_message_cursor(cursor: str) -> int:
    value = _decode(cursor)
    before = value.get("before") if isinstance(value, dict) else None
    if not isinstance(before, int) or isinstance(before, bool) or before < 1:
        raise InvalidCursor("the cursor is not one this API handed out")
    return before
