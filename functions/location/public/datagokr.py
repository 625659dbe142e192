"""The data.go.kr answer format shared by KMA and MOIS, and its error codes.

`{"response": {"header": {"resultCode", "resultMsg"}, "body": {"items": ..., "totalCount"}}}`:
`items` may be `{"item": [...]}`, `{"item": {...}}` (one row), a bare array, or "" (no rows),
and numbers often arrive as strings. A refused key or an exceeded quota comes back from the
gateway as XML (`<returnReasonCode>`), even when JSON was asked for. Codes: 00 ok; 03 NO_DATA;
01/02/04/05 temporary (retried); 10-33, 99 refusals (parameters, key, quota).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from functions.location.public.errors import (
    MalformedResponseError,
    NoDataError,
    ProviderRejectedError,
    ProviderUnavailableError,
)

TEMPORARY = {"01", "02", "04", "05"}
_XML_CODE = re.compile(r"<returnReasonCode>\s*(\d+)\s*</returnReasonCode>")
_XML_MSG = re.compile(r"<returnAuthMsg>\s*([^<]*)</returnAuthMsg>")


def _fail(provider: str, code: str, message: str) -> None:
    if code == "03":
        raise NoDataError(provider, f"{code} {message}", code)
    kind = ProviderUnavailableError if code in TEMPORARY else ProviderRejectedError
    raise kind(provider, f"{code} {message}", code)


def data_go_kr_items(provider: str, response: httpx.Response) -> list[dict[str, Any]]:
    """The item list of a data.go.kr answer, or the provider's error raised.
    `items` may be `{"item": [...]}`, `{"item": {...}}`, a bare array or "" (no rows)."""
    if response.status_code >= 400 or response.text.lstrip().startswith("<"):
        found = _XML_CODE.search(response.text)
        if found:
            message = _XML_MSG.search(response.text)
            _fail(
                provider, found.group(1), message.group(1).strip() if message else "gateway error"
            )
        raise ProviderRejectedError(provider, f"HTTP {response.status_code}: "
                                    f"{response.text[:200]!r}")  # fmt: skip
    try:
        answer = response.json()["response"]
        header, body = answer["header"], answer.get("body") or {}
        code = str(header["resultCode"]).strip()
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedResponseError(provider, f"not a data.go.kr answer: {exc!r}") from exc
    if code not in ("00", "0", "0000"):
        _fail(provider, code, str(header.get("resultMsg", "")))
    items = body.get("items") if isinstance(body, dict) else None
    if isinstance(items, dict):
        items = items.get("item", [])
        items = [items] if isinstance(items, dict) else items
    if items in (None, ""):
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise MalformedResponseError(provider, "items is not a list of objects")
    return items


def total_count(response: httpx.Response) -> int | None:
    """`body.totalCount` (a number or a string), when the answer has one."""
    try:
        return int(str(response.json()["response"]["body"]["totalCount"]).strip())
    except (ValueError, KeyError, TypeError):
        return None
