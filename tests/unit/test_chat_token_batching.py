"""The answer's deltas coalesced into fewer `token` events: the first at once, what arrives
while a publish is in flight in the next one, nothing lost or reordered, errors surfaced; and
an answer streamed through the agent with a window still reads as the stored text."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from functions.chat.agent import respond
from functions.chat.nodes.batching import TokenBatcher
from tests.support.chat import rig, stream_of, submit

WAIT = 5.0  # a bound against hanging, never a synchronisation


class GatedSink:
    """A publish that records its text and holds until the test opens the gate."""

    def __init__(self) -> None:
        self.published: list[str] = []
        self.called = asyncio.Event()
        self.gate = asyncio.Event()

    async def __call__(self, text: str) -> None:
        self.published.append(text)
        self.called.set()
        await self.gate.wait()


async def test_the_first_delta_goes_out_at_once_and_the_rest_coalesces() -> None:
    sink = GatedSink()
    batcher = TokenBatcher(sink, window_s=60.0)
    await batcher.add("안녕")
    await asyncio.wait_for(sink.called.wait(), WAIT)  # published before any later delta
    assert sink.published == ["안녕"]
    for delta in ("하세요", ", ", "이코", "예요"):
        await batcher.add(delta)
    sink.gate.set()
    await asyncio.wait_for(batcher.close(), WAIT)  # close cuts the window's pause short
    assert sink.published == ["안녕", "하세요, 이코예요"]


async def test_without_a_window_every_delta_is_its_own_event() -> None:
    published: list[str] = []

    async def sink(text: str) -> None:
        published.append(text)

    batcher = TokenBatcher(sink, window_s=0.0)
    for delta in ("a", "b", "c"):
        await batcher.add(delta)
    await batcher.close()
    assert published == ["a", "b", "c"]


async def test_a_publish_error_surfaces_at_close() -> None:
    async def down(text: str) -> None:
        raise ConnectionError("redis gone")

    batcher = TokenBatcher(down, window_s=60.0)
    await batcher.add("a")
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(batcher.close(), WAIT)


async def test_abort_stops_without_publishing_the_rest() -> None:
    sink = GatedSink()
    batcher = TokenBatcher(sink, window_s=60.0)
    await batcher.add("a")
    await asyncio.wait_for(sink.called.wait(), WAIT)
    await batcher.add("b")
    await asyncio.wait_for(batcher.abort(), WAIT)
    assert sink.published == ["a"]


def with_window(window_s: float) -> Callable[[], Awaitable[list[str]]]:
    async def run() -> list[str]:
        r = rig(token_window_s=window_s)
        data = await submit(r, "우유팩 어떻게 버려?")
        await respond(data, r.bus, r.repo, r.agent)
        events = await stream_of(r.bus, data.job_id)
        tokens = [d["content"] for n, d in events if n == "token"]
        assert events[-1][1]["result"]["answer"] == "".join(tokens)
        assert [d["seq"] for _, d in events] == list(range(1, len(events) + 1))
        return tokens

    return run


async def test_an_answer_with_a_window_streams_fewer_events_with_the_same_text() -> None:
    each = await with_window(0.0)()
    batched = await with_window(60.0)()
    assert "".join(batched) == "".join(each)
    assert len(each) > 5 and len(batched) < len(each)
