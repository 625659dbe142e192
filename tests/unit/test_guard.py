"""The Guard in front of a small FastAPI app with the kit's error handlers: malformed
requests get 400 in the contract format, bodies over the limit 413 — and the app behind
never sees them. Requests are crafted as ASGI scopes: that is how bytes no HTTP client would
send (NUL in a decoded path, non-ASCII header bytes) still reach a server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel
from starlette.types import Message

from functions.kit import http
from functions.kit.guard import Guard, HttpProtocol
from tests.support.loopback import serve
from tests.support.raw_http import exchange

LIMIT = 1000


class Echo(BaseModel):
    text: str


def build(cors_origins: tuple[str, ...] = ()) -> tuple[Guard, list[str]]:
    app = FastAPI()
    http.install(app)
    reached: list[str] = []

    @app.post("/echo")
    async def echo(body: Echo) -> dict[str, int]:
        reached.append(body.text)
        return {"length": len(body.text)}

    @app.get("/items/{name}")
    async def item(name: str, q: str | None = None) -> dict[str, Any]:
        reached.append(name)
        return {"name": name, "q": q}

    @app.put("/media/upload/{key}")
    async def upload(key: str, request: Request) -> dict[str, int]:
        size = sum([len(chunk) async for chunk in request.stream()])
        reached.append(key)
        return {"size": size}

    return Guard(app, max_body_bytes=LIMIT, cors_origins=cors_origins), reached


class Answer:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.chunks_read = 0

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def body(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))


async def call(
    guard: Guard,
    method: str = "GET",
    path: str = "/items/a",
    *,
    raw_path: bytes | None = None,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    chunks: list[bytes] | None = None,
) -> Answer:
    answer = Answer()
    pending = list(chunks or [b""])

    async def receive() -> Message:
        answer.chunks_read += 1
        body = pending.pop(0) if pending else b""
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: Message) -> None:
        answer.messages.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path,
        "raw_path": raw_path if raw_path is not None else path.encode("utf-8", "replace"),
        "query_string": query, "root_path": "", "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 5000),
        "headers": [(b"host", b"127.0.0.1:8080"), *(headers or [])],
    }  # fmt: skip
    await guard(scope, receive, send)
    return answer


def json_body(data: dict[str, Any]) -> tuple[list[tuple[bytes, bytes]], list[bytes]]:
    raw = json.dumps(data).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    return headers, [raw]


async def test_a_well_formed_request_passes() -> None:
    guard, reached = build()
    got = await call(guard, query=b"q=%ED%95%9C+x")  # UTF-8 in a query is fine
    assert got.status == 200 and got.body == {"name": "a", "q": "한 x"}
    headers, chunks = json_body({"text": "hello"})
    posted = await call(guard, "POST", "/echo", headers=headers, chunks=chunks)
    assert posted.status == 200 and reached == ["a", "hello"]


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/items/a\x00b", b"/items/a%00b"),
        ("/items/a\nb", b"/items/a%0ab"),
        ("/items/a\x7fb", b"/items/a%7fb"),
        ("/items/a\x85b", b"/items/a%C2%85b"),
        ("/items/\ufffd", b"/items/%ff"),
        ("/items/ab", b"/items/a\xffb"),
        ("/items/한", b"/items/%ED%95%9C"),
    ],
)
async def test_control_or_non_ascii_in_the_path_is_400(path: str, raw: bytes) -> None:
    guard, reached = build()
    answer = await call(guard, path=path, raw_path=raw)
    assert answer.status == 400
    assert answer.body["code"] == "INVALID_PATH" and answer.body["detail"]
    assert reached == []


@pytest.mark.parametrize(
    "query", [b"q=%00", b"q=a%0Ab", b"q=%7f", b"q=%C2%9F", b"q=%ff", b"q=a\x01"]
)
async def test_control_characters_in_the_query_are_400(query: bytes) -> None:
    guard, reached = build()
    answer = await call(guard, query=query)
    assert (answer.status, answer.body["code"]) == (400, "INVALID_QUERY")
    assert reached == []


@pytest.mark.parametrize(
    "header",
    [
        (b"x-frontend-origin", "http://é.example".encode()),
        (b"user-agent", b"a\x00b"),
        (b"x-thing", b"a\x7f"),
        (b"x-\xff", b"v"),
        (b"last-event-id", b"5\r"),
    ],
)
async def test_a_bad_header_byte_is_400(header: tuple[bytes, bytes]) -> None:
    guard, reached = build()
    answer = await call(guard, headers=[header])
    assert (answer.status, answer.body["code"]) == (400, "INVALID_HEADER")
    assert reached == []


async def test_a_tab_in_a_header_value_is_allowed() -> None:
    guard, _ = build()
    assert (await call(guard, headers=[(b"user-agent", b"a\tb")])).status == 200


@pytest.mark.parametrize(
    "cookie",
    [b"s_access=a\x01b", "s_access=토큰".encode(), b"s_refresh=a\x7f", b"a=b;\ts_access=x"],
)
async def test_a_bad_cookie_is_400(cookie: bytes) -> None:
    guard, reached = build()
    answer = await call(guard, headers=[(b"cookie", cookie)])
    assert (answer.status, answer.body["code"]) == (400, "INVALID_COOKIE")
    assert reached == []


async def test_printable_cookies_pass_whatever_they_say() -> None:
    """A session cookie that is no token is the authorizer's 401 (the PWA then refreshes)."""
    guard, _ = build()
    cookie = b'theme="dark mode"; s_access=eyJ.abc-_.x; s_refresh=<not a token>; flag'
    assert (await call(guard, headers=[(b"cookie", cookie)])).status == 200


async def test_a_declared_length_over_the_limit_is_413_without_reading() -> None:
    guard, reached = build()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"400000000")]
    answer = await call(guard, "POST", "/echo", headers=headers, chunks=[b"{}"])
    assert (answer.status, answer.body["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert answer.chunks_read == 0 and reached == []


async def test_an_unusable_content_length_is_400() -> None:
    guard, _ = build()
    answer = await call(guard, "POST", "/echo", headers=[(b"content-length", b"12x")])
    assert (answer.status, answer.body["code"]) == (400, "INVALID_HEADER")


async def test_a_chunked_body_is_cut_off_at_the_limit() -> None:
    """No Content-Length: counted while streamed, refused once past the limit, the rest of
    the body never read (400 MB would otherwise be buffered)."""
    guard, reached = build()
    chunks = [b"x" * 300] * 1000  # 300 kB
    answer = await call(
        guard, "POST", "/echo", headers=[(b"content-type", b"application/json")], chunks=chunks
    )
    assert (answer.status, answer.body["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert answer.chunks_read == 4 and reached == []  # 1200 bytes > 1000: stopped there
    assert [m["type"] for m in answer.messages] == ["http.response.start", "http.response.body"]


async def test_the_media_upload_keeps_its_own_cap() -> None:
    guard, reached = build()
    answer = await call(guard, "PUT", "/media/upload/k", chunks=[b"x" * 600] * 5)
    assert answer.status == 200 and answer.body == {"size": 3000} and reached == ["k"]


async def test_the_media_upload_is_still_checked_for_bad_bytes() -> None:
    guard, reached = build()
    answer = await call(guard, "PUT", "/media/upload/k", headers=[(b"content-type", b"\xff")])
    assert answer.status == 400 and reached == []


async def test_lifespan_and_other_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    await Guard(app, max_body_bytes=1)({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan"]


async def test_what_uvicorn_refuses_itself_is_answered_in_the_contract_format() -> None:
    guard, reached = build()
    async with serve(guard, http=HttpProtocol) as url:
        host, port = url.removeprefix("http://").split(":")
        head = [b"GET /items/a HTTP/1.1", b"host: x"]
        refused = await exchange(host, int(port), [*head, b"x-note: a\x01b"])
        assert refused.status == 400 and refused.headers["content-type"] == "application/json"
        assert json.loads(refused.body)["code"] == "MALFORMED_REQUEST" and reached == []
        assert (await exchange(host, int(port), head)).status == 200 and reached == ["a"]


async def test_its_answers_carry_credentialed_cors_for_the_pwa_only() -> None:
    guard, _ = build(cors_origins=("http://localhost:5173",))
    pwa = (b"origin", b"http://localhost:5173")
    refused = await call(guard, path="/items/a\x00", raw_path=b"/items/a%00", headers=[pwa])
    big = await call(guard, "POST", "/echo", headers=[pwa, (b"content-length", b"5000")])
    for answer in (refused, big):
        headers = dict(answer.messages[0]["headers"])
        assert headers[b"access-control-allow-origin"] == b"http://localhost:5173"
        assert headers[b"access-control-allow-credentials"] == b"true"
    other = await call(guard, path="/items/a\x00", raw_path=b"/items/a%00",
                       headers=[(b"origin", b"http://evil.example")])  # fmt: skip
    assert b"access-control-allow-origin" not in dict(other.messages[0]["headers"])
