"""An answer's deltas coalesced into fewer `token` events.

Every `token` event costs a bus append in the agent (a Redis round trip), a pass of the event
router and of the SSE gateway, and a parse in the browser. A model streams a delta every
~30 ms; under load the worker reads deltas the transport has already buffered faster than it
can append them one by one, and at 500 conversations the per-token appends starved the
worker's Redis pool (tests/load/README.md, chat bench). The batcher publishes the first delta
at once (time to first token is untouched), then at most one event per `window_s` carrying
everything that arrived meanwhile; `close` publishes the rest before the node returns, so the
stored answer and the streamed text stay equal. The contract's `token` is "a delta the client
appends": a longer delta is the same stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


class TokenBatcher:
    """One publishing task per answer: waits for text, publishes all of it, pauses `window_s`
    (cut short by `close`), again. A publish error surfaces in the next `add` or in `close`."""

    def __init__(self, publish: Callable[[str], Awaitable[object]], window_s: float) -> None:
        self._publish = publish
        self._window_s = window_s
        self._pending = ""
        self._ready = asyncio.Event()
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def add(self, text: str) -> None:
        if not text:
            return
        if self._window_s <= 0:  # no coalescing: one event per delta, in order
            await self._publish(text)
            return
        if self._task is None:
            self._task = asyncio.create_task(self._drain())
        elif self._task.done():
            self._task.result()  # raises the publish error; a finished task means closed
        self._pending += text
        self._ready.set()

    async def close(self) -> None:
        """Publish what is pending and stop; waits for the last publish to land."""
        if self._task is None:
            return
        self._closing.set()
        self._ready.set()
        await self._task

    async def abort(self) -> None:
        """Stop without publishing: the answer failed, and its `done` says so."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _drain(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            text, self._pending = self._pending, ""
            if text:
                await self._publish(text)
            if self._closing.is_set():
                if not self._pending:
                    return
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self._window_s)
