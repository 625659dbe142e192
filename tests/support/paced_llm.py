"""An OpenAI Responses fake that streams like a model does: the first token after a delay,
then one token every `1 / rate` seconds (the chat crash test and the chat benchmark).

A streamed plain-text answer is `t0001 t0002 … tNNNN` (one token per delta, each numbered), so
a reader can tell a doubled, missing or reordered token from the text alone; the same request
always gets the same text (a re-run after a crash writes it again, as the offline model does).
Each stream's timing is kept (`Timing`): when the request arrived and when its first delta
went out, tagged with the `[bench:<tag>]` the user message carries (the last one in the
prompt: earlier turns' tags are in the history too).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from tests.support.llm_fakes import PLAIN_TEXT, Calls, FakeOpenAI, Received, Reply
from tests.support.llm_streams import openai_events

TAG = re.compile(r"\[bench:([\w-]+)\]")
_ARRIVED: ContextVar[float] = ContextVar("arrived", default=0.0)


def numbered_text(tokens: int) -> str:
    """The answer every stream writes: `t0001 t0002 …`, one delta per token."""
    return " ".join(f"t{k:04d}" for k in range(1, tokens + 1))


def token_numbers(text: str) -> list[int]:
    """The numbers of the tokens in `text` (what a reader checks for order and doubling)."""
    return [int(word[1:]) for word in text.split() if word.startswith("t") and word[1:].isdigit()]


@dataclass(frozen=True)
class Timing:
    tag: str | None
    arrived: float  # CLOCK_MONOTONIC (system-wide: comparable with the other processes)
    first_delta: float


@dataclass
class PacedOpenAI(FakeOpenAI):
    answer_tokens: int = 300
    rate: float = 30.0  # tokens per second after the first
    timings: list[Timing] = field(default_factory=list)
    streams_started: int = 0
    streams_finished: int = 0

    async def answer(self, request: Request) -> JSONResponse:
        _ARRIVED.set(time.monotonic())
        return await super().answer(request)

    def _text(self, call: Received, reply: Reply | None) -> str:
        if call.schema_name == PLAIN_TEXT and (reply is None or reply.text is None):
            return numbered_text(self.answer_tokens)
        return super()._text(call, reply)

    def respond(self, call: Received, text: str, calls: Calls = ()) -> Response:
        if call.body.get("stream") is not True:
            return super().respond(call, text, calls)
        tags = TAG.findall(" ".join(call.texts))
        frames = openai_events(self.ok_body(call, text), text)
        return StreamingResponse(
            self._paced(frames, tags[-1] if tags else None, _ARRIVED.get()),
            media_type="text/event-stream",
        )

    async def _paced(
        self, frames: Iterable[str], tag: str | None, arrived: float
    ) -> AsyncIterator[str]:
        """`response.created` and the first delta at once (the delay was the request's),
        each further delta on a fixed schedule (no drift when the loop is busy), then the
        completion."""
        self.streams_started += 1
        start = time.monotonic()
        deltas = 0
        for frame in frames:
            if "response.output_text.delta" in frame[:40]:
                if deltas == 0:
                    self.timings.append(Timing(tag, arrived, time.monotonic()))
                else:
                    await asyncio.sleep(max(0.0, start + deltas / self.rate - time.monotonic()))
                deltas += 1
            yield frame
        self.streams_finished += 1
