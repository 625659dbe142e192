"""Gemini through google-genai's `generate_content` with a JSON response schema.

The image goes inline (`Part.from_bytes`), as for OpenAI. The SDK's own retries stay off
(no `retry_options`): the LLM client retries, with its breaker and fallback in the loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx2  # the transport google-genai uses; its errors reach us untranslated
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from pydantic import BaseModel

from functions.kit.llm import gemini_tools
from functions.kit.llm.errors import (
    LLMError,
    LLMOutputError,
    LLMRejected,
    LLMUnavailable,
    is_transient_status,
)
from functions.kit.llm.port import (
    ImageRequest,
    ImageResult,
    LLMRequest,
    LLMResult,
    StreamChunk,
    Usage,
)
from functions.kit.llm.schema import gemini_json_schema, parse_output, schema_name, text_output

log = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/"
NO_KEY = "unused"  # a stand-in server (tests) needs no key; the SDK wants one
_BLOCKED = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY", "RECITATION"}


def build_client(api_key: str | None, base_url: str | None, timeout_s: float) -> genai.Client:
    """The SDK client for the Gemini Developer API (or `base_url`), with explicit settings so
    nothing is read from the environment's GOOGLE_* variables."""
    options = types.HttpOptions(
        base_url=base_url or DEFAULT_BASE_URL, timeout=int(timeout_s * 1000)
    )
    return genai.Client(vertexai=False, api_key=api_key or NO_KEY, http_options=options)


class GeminiProvider:
    name = "gemini"

    def __init__(self, client: genai.Client) -> None:
        self._client = client

    async def generate(self, request: LLMRequest, model: str) -> LLMResult:
        """JSON of the request's schema; with `tools`, function declarations the model may
        call instead; with `web_search`, google_search grounding and a plain-text answer."""
        started = time.perf_counter()
        where = f"gemini {model} {request.task}"
        config = types.GenerateContentConfig(
            system_instruction=request.system, tools=gemini_tools.tools(request)
        )
        if not request.web_search:
            config.response_mime_type = "application/json"
            config.response_json_schema = gemini_json_schema(
                request.schema, schema_name(request.task)
            )
        contents = [_content(request), *gemini_tools.results(request)]
        response = await self._call(where, lambda: self._client.aio.models.generate_content(
            model=model, contents=contents, config=config))  # fmt: skip
        calls = gemini_tools.calls(response, where)
        output: BaseModel | None = None
        if not calls:
            text = _answer_text(response, where)
            output = (text_output(request.schema, text, where) if request.web_search
                      else parse_output(request.schema, text, where))  # fmt: skip
        return LLMResult(
            output=output, provider=self.name, model=model,
            usage=_usage(response, gemini_tools.searches(response)),
            latency_s=time.perf_counter() - started, tool_calls=calls,
            sources=gemini_tools.sources(response),
        )  # fmt: skip

    async def draw(self, request: ImageRequest) -> ImageResult:
        """A picture from Gemini's image model (`responseModalities` IMAGE and TEXT)."""
        where = f"gemini {request.model} {request.task}"
        config = types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"])
        contents = [types.Content(role="user", parts=[types.Part.from_text(text=request.prompt)])]
        response = await self._call(where, lambda: self._client.aio.models.generate_content(
            model=request.model, contents=contents, config=config))  # fmt: skip
        data, mime, text = gemini_tools.picture(response, where)
        return ImageResult(data=data, mime_type=mime, provider=self.name, model=request.model,
                           usage=_usage(response, 0), text=text)  # fmt: skip

    async def _call(
        self, where: str, call: Callable[[], Awaitable[types.GenerateContentResponse]]
    ) -> types.GenerateContentResponse:
        try:
            return await call()
        except (genai_errors.APIError, httpx2.HTTPError) as exc:
            raise _translate(exc, where) from None
        except ValueError as exc:  # an envelope the SDK could not read (JSON, pydantic)
            log.warning("%s: unreadable response: %s", where, exc)
            raise LLMOutputError(f"{where}: unreadable response") from None

    async def stream(
        self, request: LLMRequest, model: str, field: str
    ) -> AsyncIterator[StreamChunk]:
        """The answer as plain text from `generate_content_stream`: each chunk's text, then
        the usage of the last chunk (Gemini repeats it cumulatively; the last is the call's)."""
        del field
        where = f"gemini {model} {request.task}"
        config = types.GenerateContentConfig(system_instruction=request.system)
        usage = Usage(0, 0)
        try:
            chunks = await self._client.aio.models.generate_content_stream(
                model=model, contents=[_content(request)], config=config
            )
            async for chunk in chunks:
                text = _chunk_text(chunk, where)
                if text:
                    yield StreamChunk(text=text)
                meta = chunk.usage_metadata
                if meta is not None:
                    usage = Usage(meta.prompt_token_count or 0, meta.candidates_token_count or 0)
        except (genai_errors.APIError, httpx2.HTTPError) as exc:
            raise _translate(exc, where) from None
        except ValueError as exc:
            log.warning("%s: unreadable stream: %s", where, exc)
            raise LLMOutputError(f"{where}: unreadable response") from None
        yield StreamChunk(usage=usage)


def _usage(response: types.GenerateContentResponse, searches: int) -> Usage:
    meta = response.usage_metadata
    return Usage(
        input_tokens=(meta.prompt_token_count or 0) if meta else 0,
        output_tokens=(meta.candidates_token_count or 0) if meta else 0,
        searches=searches,
    )


def _chunk_text(chunk: types.GenerateContentResponse, where: str) -> str:
    """A streamed chunk's text; a blocked prompt or answer is an output error."""
    if not chunk.candidates:
        feedback = chunk.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            raise LLMOutputError(f"{where}: no answer (blocked: {feedback.block_reason})")
        return ""
    return _answer_text(chunk, where)


def _content(request: LLMRequest) -> types.Content:
    parts = [types.Part.from_text(text=request.prompt)]
    if request.image is not None:
        parts.append(
            types.Part.from_bytes(data=request.image.data, mime_type=request.image.mime_type)
        )
    return types.Content(role="user", parts=parts)


def _answer_text(response: types.GenerateContentResponse, where: str) -> str:
    """The first candidate's text (thoughts left out), or why there is none."""
    if not response.candidates:
        feedback = response.prompt_feedback
        reason = feedback.block_reason if feedback else None
        raise LLMOutputError(f"{where}: no answer (blocked: {reason})")
    candidate = response.candidates[0]
    finish = candidate.finish_reason
    if finish is not None and finish.value in _BLOCKED:
        raise LLMOutputError(f"{where}: the answer was blocked ({finish.value})")
    parts = candidate.content.parts if candidate.content and candidate.content.parts else []
    return "".join(p.text for p in parts if p.text and not p.thought)


def _translate(exc: Exception, where: str) -> LLMError:
    """SDK and transport errors as ours; the provider's message goes to the log only."""
    log.warning("%s failed: %s", where, exc)
    if isinstance(exc, genai_errors.APIError):
        kind = f"HTTP {exc.code}" + (f" {exc.status}" if exc.status else "")
        if is_transient_status(exc.code):
            return LLMUnavailable(f"{where}: {kind}")
        return LLMRejected(f"{where}: {kind}")
    if isinstance(exc, httpx2.TimeoutException):
        return LLMUnavailable(f"{where}: timed out")
    return LLMUnavailable(f"{where}: connection failed ({type(exc).__name__})")
