"""Tools on OpenAI's Responses API: function tools (strict JSON schemas, as structured
output), the native `web_search` tool, and reading the calls, citations and searches back.

A turn with tools is two requests: the model's `function_call` items come back as
`ToolCall`s; our answers go on the next request as the call and its `function_call_output`
(the Responses API is stateless here: `store=False`, nothing refers to an earlier response).
"""

from __future__ import annotations

import json

from openai.types.responses import Response, ResponseInputItemParam, ToolParam

from functions.kit.llm.errors import LLMOutputError
from functions.kit.llm.port import LLMRequest, Source, ToolCall
from functions.kit.llm.schema import openai_strict_schema


def tools(request: LLMRequest) -> list[ToolParam]:
    found: list[ToolParam] = [
        {"type": "function", "name": t.name, "description": t.description,
         "parameters": openai_strict_schema(t.parameters), "strict": True}
        for t in request.tools
    ]  # fmt: skip
    if request.web_search:
        found.append({"type": "web_search"})
    return found


def results(request: LLMRequest) -> list[ResponseInputItemParam]:
    """The previous request's calls and our answers to them, in call order."""
    items: list[ResponseInputItemParam] = []
    for done in request.tool_results:
        call = done.call
        arguments = json.dumps(dict(call.arguments), ensure_ascii=False)
        output = json.dumps(dict(done.output), ensure_ascii=False)
        items.append({"type": "function_call", "call_id": call.id, "name": call.name,
                      "arguments": arguments})  # fmt: skip
        items.append({"type": "function_call_output", "call_id": call.id, "output": output})
    return items


def calls(response: Response, where: str) -> tuple[ToolCall, ...]:
    found = []
    for item in response.output:
        if item.type != "function_call":
            continue
        try:
            arguments = json.loads(item.arguments or "{}")
        except ValueError:
            raise LLMOutputError(f"{where}: the arguments of {item.name} are not JSON") from None
        if not isinstance(arguments, dict):
            raise LLMOutputError(f"{where}: the arguments of {item.name} are not an object")
        found.append(ToolCall(id=item.call_id, name=item.name, arguments=arguments))
    return tuple(found)


def sources(response: Response) -> tuple[Source, ...]:
    """The pages the answer cites (`url_citation` annotations), each once, in order."""
    seen: dict[str, Source] = {}
    for item in response.output:
        if item.type != "message":
            continue
        for part in item.content:
            for note in getattr(part, "annotations", None) or ():
                if note.type == "url_citation" and note.url not in seen:
                    seen[note.url] = Source(title=note.title or note.url, url=note.url)
    return tuple(seen.values())


def searches(response: Response) -> int:
    return sum(1 for item in response.output if item.type == "web_search_call")
