"""Tools on Gemini: function declarations (JSON schemas), google_search grounding, and the
calls, grounding sources and searches read back; the image model's picture.

A turn with tools is two requests, as on OpenAI: the model's `functionCall` parts come back
as `ToolCall`s, and the next request repeats them (role model) with our `functionResponse`s
(role user) after the user's message.
"""

from __future__ import annotations

from google.genai import types

from functions.kit.llm.errors import LLMOutputError
from functions.kit.llm.port import LLMRequest, Source, ToolCall
from functions.kit.llm.schema import gemini_json_schema


def tools(request: LLMRequest) -> list[types.Tool] | None:
    found = []
    if request.tools:
        declarations = [
            types.FunctionDeclaration(name=t.name, description=t.description,
                                      parameters_json_schema=gemini_json_schema(t.parameters))
            for t in request.tools
        ]  # fmt: skip
        found.append(types.Tool(function_declarations=declarations))
    if request.web_search:
        found.append(types.Tool(google_search=types.GoogleSearch()))
    return found or None


def results(request: LLMRequest) -> list[types.Content]:
    """The previous request's calls (role model) and our answers (role user)."""
    if not request.tool_results:
        return []
    asked = [types.Part(function_call=types.FunctionCall(id=r.call.id, name=r.call.name,
                                                         args=dict(r.call.arguments)))
             for r in request.tool_results]  # fmt: skip
    answered = [types.Part(function_response=types.FunctionResponse(
                    id=r.call.id, name=r.call.name, response=dict(r.output)))
                for r in request.tool_results]  # fmt: skip
    return [types.Content(role="model", parts=asked), types.Content(role="user", parts=answered)]


def _parts(response: types.GenerateContentResponse) -> list[types.Part]:
    if not response.candidates:
        return []
    content = response.candidates[0].content
    return list(content.parts or []) if content else []


def calls(response: types.GenerateContentResponse, where: str) -> tuple[ToolCall, ...]:
    found = []
    for part in _parts(response):
        call = part.function_call
        if call is None:
            continue
        if not call.name:
            raise LLMOutputError(f"{where}: a function call without a name")
        found.append(ToolCall(id=call.id or call.name, name=call.name, arguments=call.args or {}))
    return tuple(found)


def sources(response: types.GenerateContentResponse) -> tuple[Source, ...]:
    """The grounding chunks' pages, each once, in order."""
    if not response.candidates or response.candidates[0].grounding_metadata is None:
        return ()
    seen: dict[str, Source] = {}
    for chunk in response.candidates[0].grounding_metadata.grounding_chunks or ():
        web = chunk.web
        if web is not None and web.uri and web.uri not in seen:
            seen[web.uri] = Source(title=web.title or web.uri, url=web.uri)
    return tuple(seen.values())


def searches(response: types.GenerateContentResponse) -> int:
    """Grounded prompts are billed per request that searched (queries are not each billed)."""
    if not response.candidates or response.candidates[0].grounding_metadata is None:
        return 0
    return 1 if response.candidates[0].grounding_metadata.web_search_queries else 0


def picture(response: types.GenerateContentResponse, where: str) -> tuple[bytes, str, str]:
    """The image model's first inline image, its MIME type and any text said with it."""
    text = "".join(p.text for p in _parts(response) if p.text and not p.thought)
    for part in _parts(response):
        blob = part.inline_data
        if blob is not None and blob.data and (blob.mime_type or "").startswith("image/"):
            return blob.data, blob.mime_type or "image/png", text
    raise LLMOutputError(f"{where}: the image model answered no image")
