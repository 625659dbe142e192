"""OpenAI (and any OpenAI-compatible server) through the Responses API with strict JSON schema.

The image goes inline as a data URL: our upload URLs are signed and short-lived, and a
provider fetching them would add a second download and a failure mode we cannot retry.
`store=False`: user photos are not kept on the provider's side.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import AsyncIterator

import openai
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseInputContentParam,
    ResponseInputParam,
    ResponseTextConfigParam,
    ResponseTextDeltaEvent,
)
from pydantic import BaseModel

from functions.kit.llm import openai_tools
from functions.kit.llm.errors import (
    LLMError,
    LLMOutputError,
    LLMRejected,
    LLMUnavailable,
    is_transient_status,
)
from functions.kit.llm.port import LLMRequest, LLMResult, StreamChunk, Usage
from functions.kit.llm.schema import (
    openai_strict_schema,
    parse_output,
    schema_name,
    text_output,
)

log = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://api.openai.com/v1"
NO_KEY = "unused"  # self-hosted OpenAI-compatible servers often want no key; the SDK wants one


def build_client(api_key: str | None, base_url: str | None, timeout_s: float) -> openai.AsyncOpenAI:
    """The SDK client: explicit key and URL (nothing read from the environment), no SDK
    retries (the LLM client retries, with its breaker and fallback in the loop)."""
    return openai.AsyncOpenAI(
        api_key=api_key or NO_KEY,
        base_url=base_url or DEFAULT_BASE_URL,
        timeout=timeout_s,
        max_retries=0,
    )


class OpenAIProvider:
    name = "openai"

    def __init__(self, client: openai.AsyncOpenAI) -> None:
        self._client = client

    async def generate(self, request: LLMRequest, model: str) -> LLMResult:
        """Structured output (strict JSON schema); with `tools`, the model may call them
        instead (`tool_calls`, no output); with `web_search`, a grounded plain-text answer
        and its sources. The usage is the response's (the call's terminal state)."""
        started = time.perf_counter()
        where = f"openai {model} {request.task}"
        try:
            response = await self._client.responses.create(
                model=model, instructions=request.system,
                input=[*_input(request), *openai_tools.results(request)],
                text=_format(request), tools=openai_tools.tools(request) or openai.omit,
                store=False,
            )  # fmt: skip
        except openai.OpenAIError as exc:
            raise _translate(exc, where) from None
        calls = openai_tools.calls(response, where)
        output: BaseModel | None = None
        if not calls:
            text = _answer_text(response, where)
            output = (text_output(request.schema, text, where) if request.web_search
                      else parse_output(request.schema, text, where))  # fmt: skip
        usage = response.usage
        searches = openai_tools.searches(response)
        return LLMResult(
            output=output, provider=self.name, model=model,
            usage=Usage(usage.input_tokens if usage else 0, usage.output_tokens if usage else 0,
                        searches),
            latency_s=time.perf_counter() - started, tool_calls=calls,
            sources=openai_tools.sources(response),
        )  # fmt: skip

    async def stream(
        self, request: LLMRequest, model: str, field: str
    ) -> AsyncIterator[StreamChunk]:
        """The answer as plain text, streamed (Responses API events): each
        `response.output_text.delta` a chunk, the usage from `response.completed` (the
        call's terminal event). The text is the whole of `field`, so no schema is sent."""
        del field
        where = f"openai {model} {request.task}"
        try:
            events = await self._client.responses.create(
                model=model, instructions=request.system, input=_input(request),
                stream=True, store=False,
            )  # fmt: skip
            async for event in events:
                if isinstance(event, ResponseTextDeltaEvent):
                    yield StreamChunk(text=event.delta)
                elif isinstance(event, ResponseCompletedEvent):
                    usage = event.response.usage
                    found = Usage(usage.input_tokens, usage.output_tokens) if usage else None
                    yield StreamChunk(usage=found or Usage(0, 0))
                elif isinstance(event, ResponseFailedEvent | ResponseErrorEvent):
                    raise LLMUnavailable(f"{where}: the response failed")
                elif isinstance(event, ResponseIncompleteEvent):
                    raise LLMOutputError(f"{where}: the answer is incomplete")
        except openai.OpenAIError as exc:
            raise _translate(exc, where) from None


def _format(request: LLMRequest) -> ResponseTextConfigParam:
    """JSON of the request's schema, strictly; plain text for a web-search answer (search
    results and citations come with text)."""
    if request.web_search:
        return {"format": {"type": "text"}}
    return {
        "format": {
            "type": "json_schema",
            "name": schema_name(request.task),
            "schema": openai_strict_schema(request.schema),
            "strict": True,
        }
    }


def _input(request: LLMRequest) -> ResponseInputParam:
    content: list[ResponseInputContentParam] = [{"type": "input_text", "text": request.prompt}]
    if request.image is not None:
        encoded = base64.b64encode(request.image.data).decode("ascii")
        content.append(
            {
                "type": "input_image",
                "image_url": f"data:{request.image.mime_type};base64,{encoded}",
                "detail": "auto",
            }
        )
    return [{"role": "user", "content": content}]


def _answer_text(response: Response, where: str) -> str:
    if response.error is not None:
        raise LLMUnavailable(f"{where}: the response failed ({response.error.code})")
    if response.status == "incomplete":
        reason = response.incomplete_details.reason if response.incomplete_details else None
        raise LLMOutputError(f"{where}: the answer is incomplete ({reason})")
    text = response.output_text
    if not text and any(
        c.type == "refusal"
        for item in response.output
        if item.type == "message"
        for c in item.content
    ):
        raise LLMOutputError(f"{where}: the model refused to answer")
    return text


def _translate(exc: openai.OpenAIError, where: str) -> LLMError:
    """SDK errors as ours; the provider's message goes to the log only (it may name our
    organization or quota), the detail says what kind of failure it was."""
    log.warning("%s failed: %s", where, exc)
    if isinstance(exc, openai.APITimeoutError):
        return LLMUnavailable(f"{where}: timed out")
    if isinstance(exc, openai.APIConnectionError):
        return LLMUnavailable(f"{where}: connection failed")
    if isinstance(exc, openai.APIStatusError):
        kind = f"HTTP {exc.status_code}" + (f" {exc.code}" if exc.code else "")
        if is_transient_status(exc.status_code):
            return LLMUnavailable(f"{where}: {kind}")
        return LLMRejected(f"{where}: {kind}")
    if isinstance(exc, openai.APIResponseValidationError):
        return LLMOutputError(f"{where}: unreadable response")
    return LLMUnavailable(f"{where}: {type(exc).__name__}")
