"""What the LLM wire fakes send when a client asks for a stream: the answer word by word.

OpenAI's Responses API: named server-sent events (`response.created`, one
`response.output_text.delta` per word, `response.completed` with the whole response and its
usage), each with its `sequence_number`. Gemini's `streamGenerateContent?alt=sse`: one
`GenerateContentResponse` per chunk, the last with the finish reason and the usage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from starlette.responses import StreamingResponse

WORDS = re.compile(r"\s*\S+|\s+")  # deltas that join back into the text


def sse(frames: Iterable[str]) -> StreamingResponse:
    return StreamingResponse(iter(list(frames)), media_type="text/event-stream")


def openai_events(done: dict[str, Any], text: str) -> list[str]:
    item = done["output"][0]["id"]
    started = {**done, "status": "in_progress", "output": [], "usage": None}
    events: list[dict[str, Any]] = [{"type": "response.created", "response": started}]
    for word in WORDS.findall(text):
        events.append({"type": "response.output_text.delta", "item_id": item,
                       "output_index": 0, "content_index": 0, "delta": word,
                       "logprobs": []})  # fmt: skip
    events.append({"type": "response.completed", "response": done})
    return [
        f"event: {e['type']}\ndata: "
        f"{json.dumps({**e, 'sequence_number': n}, ensure_ascii=False)}\n\n"
        for n, e in enumerate(events)
    ]


def gemini_chunks(done: dict[str, Any], text: str, model: str) -> list[str]:
    words = WORDS.findall(text) or [""]
    chunks = []
    for n, word in enumerate(words):
        candidate: dict[str, Any] = {"content": {"parts": [{"text": word}], "role": "model"},
                                     "index": 0}  # fmt: skip
        chunk: dict[str, Any] = {"candidates": [candidate], "modelVersion": model}
        if n == len(words) - 1:
            candidate["finishReason"] = "STOP"
            chunk["usageMetadata"] = done["usageMetadata"]
        chunks.append(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n")
    return chunks
