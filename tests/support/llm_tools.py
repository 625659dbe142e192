"""What the LLM wire fakes check and answer for tools, on each API's real format.

OpenAI Responses: `tools` of `{"type": "function", name, parameters, strict: true}` and
`{"type": "web_search"}`; calls answered as `function_call` output items; our answers come
back as `function_call` + `function_call_output` input items (an output without its call is
a 400, as on the real API); a search answers a `web_search_call` item and a message whose
text carries `url_citation` annotations. Gemini: `tools` of `functionDeclarations`
(`parametersJsonSchema`) and `googleSearch`; calls as `functionCall` parts, answers as
`functionResponse` parts; grounding as `groundingMetadata`; the image model's picture as an
`inlineData` part.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

SEARCH = "web_search"  # the schema name of a grounded (web-search) request
IMAGE = "image"  # the schema name of an image-model request
SEARCH_ANSWER = "최근 소식: 2026년부터 투명 페트병 별도 배출이 공동주택 전체로 넓어졌어요."
SOURCE = {"title": "환경부 보도자료", "url": "https://www.me.go.kr/news/1"}
# A 1x1 PNG: what the fake image model draws.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYPgPAAEDAQAIicLsAAAAAElFTkSuQmCC"
)


class ToolWireError(ValueError):
    """A request the real API would refuse (400)."""


def _check(condition: object, message: str) -> None:
    if not condition:
        raise ToolWireError(message)


# --- OpenAI ---------------------------------------------------------------------------
def openai_tools(body: Mapping[str, Any]) -> tuple[list[str], bool]:
    """The function names offered and whether web search is on."""
    names, search = [], False
    for tool in body.get("tools") or ():
        kind = tool.get("type")
        if kind == "web_search":
            search = True
            continue
        _check(kind == "function", f"unsupported tool type {kind!r}")
        _check(tool.get("name") and isinstance(tool.get("parameters"), dict), "name/parameters")
        _check(tool.get("strict") is True, "function tools must be strict here")
        names.append(tool["name"])
    calls = {i.get("call_id") for i in body.get("input") or () if i.get("type") == "function_call"}
    for item in body.get("input") or ():
        if item.get("type") == "function_call_output":
            _check(item.get("call_id") in calls, "No tool call found for function call output")
    return names, search


def openai_output(text: str, calls: Sequence[Mapping[str, Any]], search: bool) -> list[Any]:
    if calls:
        return [{"type": "function_call", "id": f"fc_{secrets.token_hex(8)}",
                 "call_id": c.get("id") or f"call_{secrets.token_hex(8)}", "name": c["name"],
                 "arguments": json.dumps(c.get("arguments", {}), ensure_ascii=False),
                 "status": "completed"} for c in calls]  # fmt: skip
    notes = []
    if search:
        notes = [{"type": "url_citation", "start_index": 0, "end_index": len(text), **SOURCE}]
    content = [{"type": "output_text", "text": text, "annotations": notes}]
    message = {"type": "message", "id": f"msg_{secrets.token_hex(12)}", "status": "completed",
               "role": "assistant", "content": content}  # fmt: skip
    if not search:
        return [message]
    action = {"type": "search", "query": "분리배출 뉴스"}
    searched = {"type": "web_search_call", "id": f"ws_{secrets.token_hex(8)}",
                "status": "completed", "action": action}  # fmt: skip
    return [searched, message]


# --- Gemini ---------------------------------------------------------------------------
def gemini_tools(body: Mapping[str, Any]) -> tuple[list[str], bool]:
    names, search = [], False
    for tool in body.get("tools") or ():
        if "googleSearch" in tool:
            search = True
            continue
        _check("functionDeclarations" in tool, f"unsupported tool {sorted(tool)}")
        for declared in tool["functionDeclarations"]:
            schema = _either(declared, "parametersJsonSchema", "parameters_json_schema")
            schema = schema or declared.get("parameters")
            _check(declared.get("name") and isinstance(schema, dict), "name/parameters")
            names.append(declared["name"])
    return names, search


def _either(found: Mapping[str, Any], camel: str, snake: str) -> Any:
    """Proto JSON accepts a field by its JSON name or its proto name (the SDK sends both)."""
    return found.get(camel, found.get(snake))


def gemini_call_parts(parts: Sequence[Mapping[str, Any]], answered: list[str]) -> None:
    """Check function parts: every response answers a call made before it."""
    for part in parts:
        if "functionCall" in part:
            answered.append(part["functionCall"].get("name", ""))
        elif "functionResponse" in part:
            _check(part["functionResponse"].get("name") in answered, "response without a call")


def gemini_parts(text: str, calls: Sequence[Mapping[str, Any]], image: bool) -> list[Any]:
    if calls:
        return [{"functionCall": {"id": c.get("id") or f"call_{secrets.token_hex(4)}",
                                  "name": c["name"], "args": c.get("arguments", {})}}
                for c in calls]  # fmt: skip
    if image:
        data = base64.b64encode(PNG).decode("ascii")
        return [{"text": text}, {"inlineData": {"mimeType": "image/png", "data": data}}]
    return [{"text": text}]


def grounding() -> dict[str, Any]:
    chunk = {"web": {"uri": SOURCE["url"], "title": SOURCE["title"]}}
    return {"webSearchQueries": ["분리배출 뉴스"], "groundingChunks": [chunk]}
