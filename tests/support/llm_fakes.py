"""Local fakes of OpenAI's Responses API and Gemini's generateContent, on their real wire formats.

Each fake is a real HTTP server on 127.0.0.1 (uvicorn in-process), so the official SDKs run
their whole code path against it. Like the real services, a fake checks the API key, the
model, the structured-output request (OpenAI: `text.format` json_schema, strict; Gemini:
`responseMimeType` JSON with a schema) and that images come inline, never as URLs.

Scripting: `fake.script(Reply(status=429), Reply(text="{oops"), ...)` queues answers for the
next requests, in order. With nothing queued, a fake answers a schema-valid instance
generated from the request's own JSON schema (enum -> first value, string -> "샘플",
number -> 0, array -> one element, object -> every property), after `latency_by_schema`'s
delay for that schema name. The default path is cheap (a cached instance, an asyncio
sleep), so a load benchmark can hold thousands of concurrent requests against one fake.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.llm_streams import gemini_chunks, openai_events, sse
from tests.support.llm_tools import (
    IMAGE,
    SEARCH,
    SEARCH_ANSWER,
    ToolWireError,
    gemini_call_parts,
    gemini_parts,
    gemini_tools,
    grounding,
    openai_output,
    openai_tools,
)
from tests.support.loopback import serve

API_KEY = "test-llm-key"
SAMPLE_TEXT = "샘플"
PLAIN_TEXT = "text"  # the schema name of a streamed plain-text request (no json_schema)
SAMPLE_ANSWER = "샘플 답변이에요. 우유팩은 헹궈서 말려 주세요."
IMAGE_TOKENS = 258
Calls = tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Reply:
    """One scripted answer: an error status, a delay, raw output text, or a canned output."""

    status: int = 200
    delay_s: float | None = None  # None: the fake's latency for the request's schema
    text: str | None = None  # the model's output text as is (e.g. malformed JSON)
    output: Mapping[str, Any] | None = None  # a canned JSON output
    message: str | None = None  # the error message of a non-200 reply
    # Function calls instead of an answer: {"name": ..., "arguments": {...}, "id"?: ...}
    tool_calls: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class SeenImage:
    mime_type: str
    data_b64: str

    @property
    def data(self) -> bytes:
        """The bytes (proto JSON allows both base64 alphabets; google-genai sends URL-safe)."""
        text = self.data_b64.replace("-", "+").replace("_", "/")
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


@dataclass(frozen=True)
class Received:
    """One request the fake accepted for answering (its key and shape were valid)."""

    model: str
    schema_name: str
    schema: Mapping[str, Any]
    system: str
    texts: tuple[str, ...]
    images: tuple[SeenImage, ...]
    body: Mapping[str, Any]


class WireError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class FakeLLM:
    """What both fakes share: the script, the default answers and the record of requests."""

    api_key: str = API_KEY
    latency_by_schema: Mapping[str, float] = field(default_factory=dict)
    default_latency_s: float = 0.0
    keep: int = 200  # requests remembered (the newest)
    received: deque[Received] = field(init=False)
    counts: Counter[str] = field(default_factory=Counter)  # every request by schema name
    _script: deque[Reply] = field(default_factory=deque)
    _instances: dict[str, str] = field(default_factory=dict)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.received = deque(maxlen=self.keep)

    def script(self, *replies: Reply) -> None:
        self._script.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        return len(self._script)

    async def answer(self, request: Request) -> Response:
        try:
            call = self.parse(request.headers, await request.json(), request.path_params)
        except WireError as exc:
            return JSONResponse(self.error_body(exc.status, exc.message), exc.status)
        except ToolWireError as exc:
            return JSONResponse(self.error_body(400, str(exc)), 400)
        except ValueError:
            return JSONResponse(self.error_body(400, "request body is not JSON"), 400)
        self.received.append(call)
        self.counts[call.schema_name] += 1
        reply = self._script.popleft() if self._script else None
        delay = reply.delay_s if reply is not None else None
        if delay is None:
            delay = self.latency_by_schema.get(call.schema_name, self.default_latency_s)
        await self._pause(delay)
        if reply is not None and reply.status != 200:
            message = reply.message or f"scripted {reply.status}"
            return JSONResponse(self.error_body(reply.status, message), reply.status)
        text = self._text(call, reply)
        return self.respond(call, text, reply.tool_calls if reply is not None else ())

    def respond(self, call: Received, text: str, calls: Calls = ()) -> Response:
        """The answer on the wire (a JSON body; the OpenAI fake streams when asked to)."""
        return JSONResponse(self.ok_body(call, text, calls))

    def _text(self, call: Received, reply: Reply | None) -> str:
        if reply is not None and reply.text is not None:
            return reply.text
        if reply is not None and reply.output is not None:
            return json.dumps(reply.output, ensure_ascii=False)
        if call.schema_name == PLAIN_TEXT:
            return SAMPLE_ANSWER
        if call.schema_name == SEARCH:
            return SEARCH_ANSWER
        if call.schema_name == IMAGE:
            return "그렸어요"
        key = json.dumps(call.schema, sort_keys=True)
        if key not in self._instances:
            self._instances[key] = json.dumps(instance_of(call.schema), ensure_ascii=False)
        return self._instances[key]

    async def _pause(self, delay: float) -> None:
        """Sleep, but end at once when the server stops (no shutdown waits for a long delay)."""
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    @staticmethod
    def tokens(call: Received, text: str) -> tuple[int, int]:
        chars = len(call.system) + sum(len(t) for t in call.texts)
        return chars // 4 + IMAGE_TOKENS * len(call.images), len(text) // 4 + 1

    # --- per wire format -------------------------------------------------------------
    def parse(self, headers: Mapping[str, str], body: Any, params: Mapping[str, Any]) -> Received:
        raise NotImplementedError

    def ok_body(self, call: Received, text: str, calls: Calls = ()) -> dict[str, Any]:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        raise NotImplementedError

    def app(self) -> Starlette:
        raise NotImplementedError

    def base_url(self, root: str) -> str:
        """What the SDK's `base_url` must be, given the server's root URL."""
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        """Serve the fake on a free loopback port; yields the SDK's base URL."""
        self._stopping = asyncio.Event()
        async with serve(self.app(), access_log=False, backlog=4096,
                         timeout_graceful_shutdown=5) as root:  # fmt: skip
            try:
                yield self.base_url(root)
            finally:
                self._stopping.set()


def _require(condition: object, message: str, status: int = 400) -> None:
    if not condition:
        raise WireError(status, message)


_OPENAI_ERRORS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


class FakeOpenAI(FakeLLM):
    """POST /v1/responses, as the Responses API speaks it: a JSON response, or with
    `"stream": true` (plain text only) its server-sent events — `response.created`, one
    `response.output_text.delta` per word, `response.completed` carrying the usage."""

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/responses", self.answer, methods=["POST"])])

    def base_url(self, root: str) -> str:
        return f"{root}/v1"

    def parse(self, headers: Mapping[str, str], body: Any, params: Mapping[str, Any]) -> Received:
        if headers.get("authorization") != f"Bearer {self.api_key}":
            raise WireError(401, "Incorrect API key provided.")
        _require(isinstance(body, dict), "body must be an object")
        _require(isinstance(body.get("model"), str) and body["model"], "model is required")
        fmt = (body.get("text") or {}).get("format") or {}
        _, search = openai_tools(body)
        if search and fmt.get("type", "text") == "text" and body.get("stream") is not True:
            texts, images = _openai_parts(body.get("input"))
            return Received(model=body["model"], schema_name=SEARCH, schema={},
                            system=body.get("instructions") or "", texts=texts,
                            images=images, body=body)  # fmt: skip
        if body.get("stream") is True and fmt.get("type", "text") == "text":
            texts, images = _openai_parts(body.get("input"))
            return Received(model=body["model"], schema_name=PLAIN_TEXT, schema={},
                            system=body.get("instructions") or "", texts=texts,
                            images=images, body=body)  # fmt: skip
        _require(fmt.get("type") == "json_schema", "text.format.type must be json_schema")
        _require(fmt.get("name") and isinstance(fmt.get("schema"), dict), "schema and name")
        _require(fmt.get("strict") is True, "strict must be true")
        texts, images = _openai_parts(body.get("input"))
        return Received(
            model=body["model"],
            schema_name=fmt["name"],
            schema=fmt["schema"],
            system=body.get("instructions") or "",
            texts=texts,
            images=images,
            body=body,
        )

    def ok_body(self, call: Received, text: str, calls: Calls = ()) -> dict[str, Any]:
        tokens_in, tokens_out = self.tokens(call, text)
        return {
            "id": f"resp_{secrets.token_hex(12)}",
            "object": "response",
            "created_at": int(time.time()),
            "status": "completed",
            "model": call.model,
            "output": openai_output(text, calls, call.schema_name == SEARCH),
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": call.body.get("tools") or [],
            "error": None,
            "incomplete_details": None,
            "usage": {
                "input_tokens": tokens_in,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": tokens_out,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": tokens_in + tokens_out,
            },
        }

    def respond(self, call: Received, text: str, calls: Calls = ()) -> Response:
        if call.body.get("stream") is not True:
            return JSONResponse(self.ok_body(call, text, calls))
        return sse(openai_events(self.ok_body(call, text), text))

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        kind, code = _OPENAI_ERRORS.get(status, ("server_error", None))
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _openai_parts(items: Any) -> tuple[tuple[str, ...], tuple[SeenImage, ...]]:
    _require(isinstance(items, list) and items, "input must be a non-empty list")
    texts: list[str] = []
    images: list[SeenImage] = []
    for item in items:
        content = item.get("content") if isinstance(item, dict) else None
        if isinstance(content, str):
            texts.append(content)
            continue
        for part in content or ():
            if part.get("type") == "input_text":
                texts.append(part.get("text", ""))
            elif part.get("type") == "input_image":
                url = str(part.get("image_url", ""))
                _require(url.startswith("data:") and ";base64," in url, "image must be inline")
                mime, data = url[len("data:") :].split(";base64,", 1)
                images.append(SeenImage(mime, data))
    return tuple(texts), tuple(images)


_GEMINI_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


STREAM = "streamGenerateContent"


class FakeGemini(FakeLLM):
    """POST /v1beta/models/{model}:generateContent (or /v1/: the SDK's default version), as
    the Gemini Developer API speaks it; `:streamGenerateContent?alt=sse` (plain text only)
    answers one chunk per word, the last with the finish reason and the usage."""

    def app(self) -> Starlette:
        routes = [
            Route(f"/{version}/models/{{target}}", self.answer, methods=["POST"])
            for version in ("v1beta", "v1")
        ]
        return Starlette(routes=routes)

    def base_url(self, root: str) -> str:
        return f"{root}/"

    def parse(self, headers: Mapping[str, str], body: Any, params: Mapping[str, Any]) -> Received:
        model, _, action = str(params.get("target", "")).partition(":")
        _require(action in ("generateContent", STREAM) and model, "unknown method", 404)
        if headers.get("x-goog-api-key") != self.api_key:
            raise WireError(400, "API key not valid. Please pass a valid API key.")
        _require(isinstance(body, dict), "body must be an object")
        config = body.get("generationConfig") or {}
        _, search = gemini_tools(body)
        special = IMAGE if "IMAGE" in (config.get("responseModalities") or ()) else SEARCH
        if (search or special == IMAGE) and action != STREAM and "responseMimeType" not in config:
            texts, images = _gemini_parts(body.get("contents"))
            return Received(model=model, schema_name=special, schema={}, system="",
                            texts=texts, images=images, body=body)  # fmt: skip
        if action == STREAM and "responseMimeType" not in config:
            texts, images = _gemini_parts(body.get("contents"))
            system = body.get("systemInstruction") or {}
            return Received(model=model, schema_name=PLAIN_TEXT, schema={},
                            system="".join(p.get("text", "") for p in system.get("parts", ())),
                            texts=texts, images=images, body=body)  # fmt: skip
        _require(config.get("responseMimeType") == "application/json", "responseMimeType")
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        if not isinstance(schema, dict):
            raise WireError(400, "a response schema is required")
        texts, images = _gemini_parts(body.get("contents"))
        system = body.get("systemInstruction") or {}
        return Received(
            model=model,
            schema_name=str(schema.get("title", "")) or _gemini_name(schema),
            schema=schema,
            system="".join(p.get("text", "") for p in system.get("parts", ())),
            texts=texts,
            images=images,
            body=body,
        )

    def ok_body(self, call: Received, text: str, calls: Calls = ()) -> dict[str, Any]:
        tokens_in, tokens_out = self.tokens(call, text)
        parts = gemini_parts(text, calls, call.schema_name == IMAGE)
        candidate = {"content": {"parts": parts, "role": "model"}, "finishReason": "STOP",
                     "index": 0}  # fmt: skip
        if call.schema_name == SEARCH:
            candidate["groundingMetadata"] = grounding()
        return {
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": tokens_in,
                "candidatesTokenCount": tokens_out,
                "totalTokenCount": tokens_in + tokens_out,
            },
            "modelVersion": call.model,
            "responseId": secrets.token_urlsafe(16),
        }

    def respond(self, call: Received, text: str, calls: Calls = ()) -> Response:
        if call.schema_name != PLAIN_TEXT:
            return JSONResponse(self.ok_body(call, text, calls))
        return sse(gemini_chunks(self.ok_body(call, text), text, call.model))

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        state = _GEMINI_STATUS.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION")
        return {"error": {"code": status, "message": message, "status": state}}


def _gemini_name(schema: Mapping[str, Any]) -> str:
    """Gemini requests carry no schema name: name it by its sorted property names."""
    return ",".join(sorted(schema.get("properties", {})))


def _gemini_parts(contents: Any) -> tuple[tuple[str, ...], tuple[SeenImage, ...]]:
    _require(isinstance(contents, list) and contents, "contents must be a non-empty list")
    texts: list[str] = []
    images: list[SeenImage] = []
    called: list[str] = []
    for content in contents:
        gemini_call_parts(content.get("parts", ()) if isinstance(content, dict) else (), called)
        for part in content.get("parts", ()) if isinstance(content, dict) else ():
            if "functionCall" in part or "functionResponse" in part:
                continue
            if "text" in part:
                texts.append(part["text"])
            elif "inlineData" in part:
                inline = part["inlineData"]
                mime = inline.get("mimeType") or inline.get("mime_type") or ""  # proto JSON: both
                _require(mime and inline.get("data"), "inline data needs a MIME type and data")
                images.append(SeenImage(mime, inline["data"]))
            else:
                _require(False, "only text and inline data parts are accepted")
    return tuple(texts), tuple(images)


def instance_of(schema: Mapping[str, Any], defs: Mapping[str, Any] | None = None) -> Any:
    """A value valid against `schema` (the subset structured outputs use)."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return instance_of(defs[str(schema["$ref"]).rsplit("/", 1)[-1]], defs)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        typed = [o for o in options if str(o.get("type", "")).lower() != "null"]
        return instance_of((typed or options)[0], defs)
    kind = schema.get("type", "object" if "properties" in schema else "null")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    return _of_type(str(kind).lower(), schema, defs)


def _of_type(kind: str, schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    if kind == "object":
        return {k: instance_of(v, defs) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        item = instance_of(schema.get("items", {}), defs)
        return [item] * max(1, int(schema.get("minItems", 1)))
    if kind == "string":
        return SAMPLE_TEXT * max(1, -(-int(schema.get("minLength", 0)) // len(SAMPLE_TEXT)))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = max(0, low) + (1 if "exclusiveMinimum" in schema else 0)
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    return None
