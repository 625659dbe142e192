"""The offline provider: the domain's own deterministic answer, after a simulated latency.

It is the embedded default (no keys, no network) and the load tests' stand-in for a model:
`latency_by_task` makes a stage as slow as a real model without spending tokens. Usage is
a rough estimate (about 4 characters per token) so dashboards and the usage table have
plausible, deterministic numbers to show.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Mapping

from functions.kit.llm.errors import LLMOutputError
from functions.kit.llm.placeholder import placeholder_png
from functions.kit.llm.port import (
    ImageRequest,
    ImageResult,
    LLMRequest,
    LLMResult,
    StreamChunk,
    Usage,
)
from functions.kit.llm.schema import validate_output

CHARS_PER_TOKEN = 4
_TOKENS = re.compile(r"\s*\S+|\s+")  # a word with the spaces before it: deltas that re-join
IMAGE_TOKENS = 258  # what Gemini counts for a small image; an estimate like the rest


class OfflineProvider:
    name = "offline"

    def __init__(
        self,
        latency_s: float = 0.0,
        latency_by_task: Mapping[str, float] | None = None,
        token_latency_s: float = 0.0,
    ) -> None:
        self._latency_s = latency_s
        self._latency_by_task = dict(latency_by_task or {})
        self._token_latency_s = token_latency_s

    def latency_for(self, task: str) -> float:
        return self._latency_by_task.get(task, self._latency_s)

    async def generate(self, request: LLMRequest, model: str) -> LLMResult:
        started = time.perf_counter()
        if request.offline is None:
            raise LLMOutputError(f"offline provider has no answer for task {request.task}")
        delay = self.latency_for(request.task)
        if delay > 0:
            await asyncio.sleep(delay)
        data = request.offline(request)
        output = validate_output(request.schema, data, f"offline {request.task}")
        return LLMResult(
            output=output,
            provider=self.name,
            model=model,
            usage=estimate_usage(request, output.model_dump_json()),
            latency_s=time.perf_counter() - started,
        )

    async def stream(
        self, request: LLMRequest, model: str, field: str
    ) -> AsyncIterator[StreamChunk]:
        """The offline answer's `field`, word by word (the first after the task's latency,
        the rest `token_latency_s` apart), then the usage as the terminal chunk."""
        result = await self.generate(request, model)
        text = str(getattr(result.output, field))
        for index, token in enumerate(_TOKENS.findall(text)):
            if index and self._token_latency_s > 0:
                await asyncio.sleep(self._token_latency_s)
            yield StreamChunk(text=token)
        yield StreamChunk(usage=result.usage)

    async def draw(self, request: ImageRequest) -> ImageResult:
        """A placeholder picture (no model offline), after the task's latency."""
        delay = self.latency_for(request.task)
        if delay > 0:
            await asyncio.sleep(delay)
        return ImageResult(
            data=placeholder_png(request.prompt), mime_type="image/png", provider=self.name,
            model=request.model, text="",
            usage=Usage(len(request.prompt) // CHARS_PER_TOKEN, IMAGE_TOKENS),
        )  # fmt: skip


def estimate_usage(request: LLMRequest, answer: str) -> Usage:
    prompt_chars = len(request.system) + len(request.prompt)
    image = IMAGE_TOKENS if request.image is not None else 0
    return Usage(
        input_tokens=prompt_chars // CHARS_PER_TOKEN + image,
        output_tokens=len(answer) // CHARS_PER_TOKEN,
    )
