"""The outermost middleware of every app: malformed requests end here, with a 4xx.

Nothing behind it has to cope with control characters or non-ASCII bytes in a path, a header
or a cookie (the edge forwards headers to the authorizer, handlers put path parameters into
keys and SQL): such a request gets 400 in the contract's `{"detail", "code"}` format before
anything runs. It also bounds every request body (`max_body_bytes`): a declared length over
the limit is refused without reading a byte, a chunked body is counted as it streams and cut
off at the limit (read before the app runs, so every route answers alike), so no request can
make a process hold more than that. Routes that keep their own, larger cap (the embedded
media upload, which streams to the store) are exempt by path prefix.

Pure ASGI on purpose: it wraps FastAPI and anything else, and costs a few checks per request.
Some bytes never reach it: uvicorn's own parser refuses control bytes in a header value or
a malformed request line and answers plain text; `HttpProtocol` is uvicorn's protocol with
that answer in the contract's format (`uvicorn --http functions.kit.guard:HttpProtocol`, or
`uvicorn.Config(http=HttpProtocol)`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_EXEMPT = ("/media/upload/",)  # images stream to the store, capped at images_max_bytes
# C0 controls, DEL and the C1 range: never part of a legitimate path, query or cookie.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(data: bytes, *, tab: bool = False) -> bool:
    """Only visible ASCII and space (and tab, where allowed)."""
    return all(0x20 <= b < 0x7F or (tab and b == 0x09) for b in data)


def path_problem(scope: Scope) -> str | None:
    path = scope.get("path", "")
    if _CONTROL.search(path) or not path.isascii():
        return "the path contains control or non-ASCII characters"
    raw = scope.get("raw_path")
    if raw is not None and not all(0x21 <= b < 0x7F for b in raw):
        return "the raw path contains control or non-ASCII bytes"
    return None


def query_problem(scope: Scope) -> str | None:
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return None
    if not all(0x21 <= b < 0x7F for b in raw):
        return "the query string contains control or non-ASCII bytes"
    try:
        decoded = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return "the query string is not UTF-8"
    if _CONTROL.search(decoded):
        return "the query string contains control characters"
    return None


def header_problem(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, str] | None:
    """(code, detail) for the first bad header: names are visible ASCII, values printable
    ASCII (tab allowed, except in cookies)."""
    for name, value in headers:
        if not name or not all(0x21 <= b < 0x7F and b != 0x3A for b in name):
            return "INVALID_HEADER", "a header name contains invalid bytes"
        if name.lower() == b"cookie":
            problem = cookie_problem(value)
            if problem:
                return "INVALID_COOKIE", problem
        elif not _printable(value, tab=True):
            return "INVALID_HEADER", f"header {name.decode()!r} contains invalid bytes"
    return None


def cookie_problem(value: bytes) -> str | None:
    """Cookies are printable ASCII, without even a tab. What they say is not judged here: a
    session cookie that is no token is the authorizer's 401, which makes the PWA refresh."""
    if not _printable(value):
        return "the Cookie header contains control or non-ASCII bytes"
    return None


def declared_length(headers: Iterable[tuple[bytes, bytes]]) -> int | str | None:
    """The Content-Length, None when absent, or a problem (str) when unusable."""
    values = [v for k, v in headers if k.lower() == b"content-length"]
    if not values:
        return None
    if len(set(values)) > 1 or not values[0].strip().isdigit():
        return "the Content-Length header is invalid"
    return int(values[0].strip())


class Guard:
    """ASGI middleware: 400 for malformed requests, 413 for bodies over `max_body_bytes`.

    Outside the CORS middleware, so its answers carry credentialed CORS themselves for the
    `cors_origins` (the PWA's), as every denial must: else the browser hides them."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        exempt: tuple[str, ...] = DEFAULT_EXEMPT,
        cors_origins: Iterable[str] = (),
    ) -> None:
        self._app = app
        self._limit = max_body_bytes
        self._exempt = exempt
        self._origins = {o.encode() for o in cors_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        problem = self._problem(scope)
        if problem is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await respond(send, 400, problem[1], problem[0], self._cors(scope))
            return
        if scope["type"] == "websocket" or scope["path"].startswith(self._exempt):
            await self._app(scope, receive, send)
            return
        length = declared_length(scope["headers"])
        if isinstance(length, str):
            await respond(send, 400, length, "INVALID_HEADER", self._cors(scope))
        elif length is not None and length > self._limit:
            await self._too_large(scope, send)
        elif length is not None:  # the server frames the body by it: no more can arrive
            await self._app(scope, receive, send)
        else:
            await self._bounded(scope, receive, send)

    def _problem(self, scope: Scope) -> tuple[str, str] | None:
        path = path_problem(scope)
        if path:
            return "INVALID_PATH", path
        query = query_problem(scope)
        if query:
            return "INVALID_QUERY", query
        return header_problem(scope.get("headers", ()))

    async def _bounded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A body of unknown length (chunked) is read up to the limit before the app runs:
        past it, 413 and the rest is never read; within it, the app gets it replayed. Every
        route answers the same, whether or not it would have read its body."""
        buffered: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break  # the client went away: let the app see it
            seen += len(message.get("body", b""))
            if seen > self._limit:
                await self._too_large(scope, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self._app(scope, replay, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        detail = f"the request body is larger than {self._limit} bytes"
        # the unread rest of the body makes the connection unusable
        headers = [*self._cors(scope), (b"connection", b"close")]
        await respond(send, 413, detail, "PAYLOAD_TOO_LARGE", headers)

    def _cors(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        """The exact allowed Origin echoed with credentials, as the CORS middleware would."""
        origin = next((v for k, v in scope["headers"] if k.lower() == b"origin"), None)
        if origin is None or origin not in self._origins:
            return []
        return [(b"access-control-allow-origin", origin),
                (b"access-control-allow-credentials", b"true"), (b"vary", b"Origin")]  # fmt: skip


async def respond(
    send: Send, status: int, detail: str, code: str, extra: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    body = json.dumps({"detail": detail, "code": code}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += extra
    start: Message = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools), whose parser-level 400 (a request no ASGI app
    ever sees) is in the contract's error format too."""

    def send_400_response(self, msg: str) -> None:
        detail = f"malformed HTTP request ({msg.rstrip('.').lower()})"
        body = json.dumps({"detail": detail, "code": "MALFORMED_REQUEST"}).encode()
        head = (
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
        )
        self.transport.write(head + body)
        self.transport.close()
