"""What a domain asks of a language model, and what it gets back.

Domains code against `LLM` only: the provider is picked from the model name by the client,
so a stage never knows whether OpenAI, Gemini or the offline provider answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from functions.kit.llm.ledger import RunCost

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class ImageInput:
    """Image bytes sent inline: providers never fetch URLs (ours are signed and short-lived)."""

    data: bytes
    mime_type: str


@dataclass(frozen=True)
class FunctionTool:
    """A function the model may call instead of answering: its arguments are `parameters`
    (a strict JSON schema is derived, as for structured output)."""

    name: str
    description: str
    parameters: type[BaseModel]


@dataclass(frozen=True)
class ToolCall:
    id: str  # the provider's call id (OpenAI `call_id`; Gemini's id, or the name)
    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class ToolResult:
    """What our code answered to a call, sent back on the next request of the turn."""

    call: ToolCall
    output: Mapping[str, Any]


@dataclass(frozen=True)
class Source:
    """A web page a grounded answer cites (native web search)."""

    title: str
    url: str


@dataclass(frozen=True)
class LLMRequest:
    task: str  # e.g. "scan.vision"; the JSON-schema name is derived from it (schema.schema_name)
    schema: type[BaseModel]  # the structured output wanted (a strict JSON schema is derived)
    system: str
    prompt: str
    model: str | None = None  # None: the client's default model
    image: ImageInput | None = None
    # The deterministic answer of the offline provider (domains supply it); remote ones ignore it.
    offline: Callable[[LLMRequest], Mapping[str, Any]] | None = None
    job_id: str | None = None  # recorded with the usage
    tools: tuple[FunctionTool, ...] = ()  # the model may call these instead of answering
    tool_results: tuple[ToolResult, ...] = ()  # answers to the calls of the previous request
    # The provider's native web search (OpenAI `web_search`, Gemini google_search grounding):
    # the answer is then plain text (the schema's one string field), with its sources.
    web_search: bool = False


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    searches: int = 0  # native web searches the call ran (billed per call)


@dataclass(frozen=True)
class LLMResult:
    output: BaseModel | None  # an instance of request.schema; None when it called tools
    provider: str
    model: str
    usage: Usage
    latency_s: float
    fallback_from: str | None = None  # the model first asked for, when another one answered
    tool_calls: tuple[ToolCall, ...] = ()
    sources: tuple[Source, ...] = ()

    def output_as(self, kind: type[T]) -> T:
        """The output with its concrete type (it is always an instance of request.schema)."""
        if not isinstance(self.output, kind):  # also when the model called tools instead
            raise TypeError(f"output is a {type(self.output).__name__}, not a {kind.__name__}")
        return self.output


@dataclass(frozen=True)
class ImageRequest:
    task: str
    prompt: str
    model: str  # an image model (Gemini's); not one of the chat models users pick
    job_id: str | None = None


@dataclass(frozen=True)
class ImageResult:
    data: bytes
    mime_type: str
    provider: str
    model: str
    usage: Usage
    text: str = ""  # what the model said with the picture, if anything


@runtime_checkable
class ImageProvider(Protocol):
    """A provider that draws (Gemini's image model; the offline placeholder)."""

    name: str

    async def draw(self, request: ImageRequest) -> ImageResult: ...


@dataclass(frozen=True)
class StreamChunk:
    """One piece of a streamed answer: a text delta, or the terminal event with the call's
    usage (what is recorded: streamed chunks are never added up)."""

    text: str = ""
    usage: Usage | None = None


class LLMProvider(Protocol):
    """One provider's adapter: one attempt, no retries (the client owns resilience)."""

    name: str

    async def generate(self, request: LLMRequest, model: str) -> LLMResult: ...


@runtime_checkable
class StreamingProvider(Protocol):
    """A provider that streams: text deltas of the output's `field`, then one chunk with the
    usage. Providers without it are streamed as one delta of a structured answer."""

    name: str

    def stream(self, request: LLMRequest, model: str, field: str) -> AsyncIterator[StreamChunk]: ...


class LLM(Protocol):
    def check_model(self, model: str | None) -> str:
        """The model a request will use; raises UnknownModel when it may not be used."""
        ...

    async def generate(self, request: LLMRequest) -> LLMResult: ...

    def stream(self, request: LLMRequest, field: str = "text") -> AsyncIterator[str]:
        """The text of the output's string `field`, as deltas while the model writes it."""
        ...

    async def draw(self, request: ImageRequest) -> ImageResult:
        """A picture from the image model's provider (no fallback: one provider draws)."""
        ...

    async def settle(self, job_id: str) -> RunCost:
        """The run's ledger: every recorded call of `job_id` summed, with its cost, stored
        with the usage records (idempotent: a repeated run end stores the same summary)."""
        ...
