"""What a domain asks of a language model, and what it gets back.

Domains code against `LLM` only: the provider is picked from the model name by the client,
so a stage never knows whether OpenAI, Gemini or the offline provider answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class ImageInput:
    """Image bytes sent inline: providers never fetch URLs (ours are signed and short-lived)."""

    data: bytes
    mime_type: str


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


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class LLMResult:
    output: BaseModel  # an instance of request.schema
    provider: str
    model: str
    usage: Usage
    latency_s: float
    fallback_from: str | None = None  # the model first asked for, when another one answered

    def output_as(self, kind: type[T]) -> T:
        """The output with its concrete type (it is always an instance of request.schema)."""
        if not isinstance(self.output, kind):
            raise TypeError(f"output is a {type(self.output).__name__}, not a {kind.__name__}")
        return self.output


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
