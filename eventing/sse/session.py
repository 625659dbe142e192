"""One client's stream: history first, then live, each seq exactly once and in order.

The order of operations is what makes resume exact. The client's queue is subscribed to the
live fan-out *before* history is read, so an event published meanwhile is in the queue;
history is then sent from the client's cursor, and live events at or below the cursor are
skipped (this also absorbs duplicates from router replicas). A live event past `cursor + 1`
means something was missed (a dropped Pub/Sub message, a resync), so history is read again
instead of sending it out of order. An idle tick (nothing sent for `keepalive_s`) also reads
history before the keepalive — the first time, then every `history_poll_s` — so a lost final
`done` is found there, not never.

A `Last-Event-ID` past the job's last event is not a position at all: the stream replays
from the start (so a finished job still ends with `done`, never with keepalives only).

When retention trimmed events the client has not seen, it gets the job's latest state and
a `token_recovery` snapshot instead, ordered so that ids never go backwards: a reconnect
after any id it received resumes without a duplicated or missing token.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from eventing.bus.port import TERMINAL_STAGE, History, JobState, StreamEvent
from eventing.sse import frames
from eventing.sse.config import GatewayConfig
from eventing.sse.hub import ClientQueue, FanOutHub
from eventing.sse.metrics import GatewayMetrics
from eventing.sse.reads import StreamReader
from eventing.tracing import mark

log = logging.getLogger(__name__)

TOKEN = "token"
MAX_RECOVERIES = 3  # per catch-up; each one moves the cursor forward or stops
Read = Callable[[str, int, int], Awaitable[History]]
BURST = 4  # frames written back to back before yielding (see _breathe)
MAX_SEQ = 2**53  # no job gets near it; keeps a forged Last-Event-ID a valid stream id


class StreamSession:
    def __init__(
        self,
        bus: StreamReader,
        hub: FanOutHub,
        metrics: GatewayMetrics,
        config: GatewayConfig,
        *,
        job_id: str,
        after_seq: int,
    ) -> None:
        self._bus = bus
        self._hub = hub
        self._metrics = metrics
        self._config = config
        self.job_id = job_id
        self.cursor = min(max(0, after_seq), MAX_SEQ)  # the last seq this client has (or 0)
        self.finished = False
        self._burst = 0
        self._polled = False  # the first idle tick always polls (a feed that subscribed late)
        self._last_poll = 0.0
        self._last_sent = self._last_event = time.monotonic()

    async def frames(self) -> AsyncIterator[bytes]:
        queue = self._hub.subscribe(self.job_id, self._config.queue_size)  # live first
        self._metrics.connections += 1
        self._metrics.connections_total += 1
        try:
            async for chunk in self._stream(queue):
                yield chunk
        finally:
            self._hub.unsubscribe(queue)
            self._metrics.connections -= 1

    async def _stream(self, queue: ClientQueue) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._start():
                yield chunk
            while not self.finished:
                if self._burst >= BURST:
                    await self._breathe()
                item = None if queue.draining or queue.resync else queue.take()
                if item is None:
                    async for chunk in self._turn(queue):
                        yield chunk
                elif item[0].seq == self.cursor + 1:  # the common case: the next one, live
                    yield self._sent(*item)
                else:
                    async for chunk in self._out_of_order(*item):
                        yield chunk
        except Exception as exc:  # the bus failed under us: a real failure, said once
            log.warning("stream of job %s failed: %r", self.job_id, exc)
            code = "timeout" if isinstance(exc, TimeoutError) else "temporary"
            yield self._error(code, "event stream interrupted; reconnect or poll the result")

    async def _start(self) -> AsyncIterator[bytes]:
        async for chunk in self._catch_up(peek=self.cursor > 0):
            yield chunk

    async def _turn(self, queue: ClientQueue) -> AsyncIterator[bytes]:
        """Nothing live to send: drain, resync from history, or wait (then keepalive)."""
        if queue.draining:
            yield self._farewell()
        elif queue.resync:
            queue.resync = False
            self._metrics.resyncs += 1
            async for chunk in self._catch_up():
                yield chunk
        else:
            async for chunk in self._idle(queue):
                yield chunk

    async def _out_of_order(self, event: StreamEvent, frame: bytes) -> AsyncIterator[bytes]:
        if event.seq <= self.cursor:  # already sent (history, or a second router's copy)
            self._metrics.duplicates += 1
            return
        async for chunk in self._catch_up():  # a gap: history has what is missing
            yield chunk
        if event.seq > self.cursor and not self.finished:
            yield self._sent(event, frame)

    async def _idle(self, queue: ClientQueue) -> AsyncIterator[bytes]:
        wait_s = self._last_sent + self._config.keepalive_s - time.monotonic()
        if await queue.wait(wait_s):
            return
        now = time.monotonic()
        if now - self._last_poll >= self._config.history_poll_s or not self._polled:
            self._polled, self._last_poll = True, now
            before = self.cursor
            async for chunk in self._catch_up(poll=True):  # a lost live message is found here
                yield chunk
            if self.finished or self.cursor != before:
                return
        if time.monotonic() - self._last_event >= self._config.idle_timeout_s:
            yield self._error("timeout", "no progress from the job; poll the result")
            return
        self._last_sent = time.monotonic()
        self._metrics.frames["keepalive"] += 1
        yield frames.keepalive(self.cursor)

    async def _catch_up(self, *, poll: bool = False, peek: bool = False) -> AsyncIterator[bytes]:
        """Send history after the cursor, page by page, recovering if it was trimmed."""
        recoveries = 0
        page = self._config.page_size
        read = self._bus.poll_since if poll else self._bus.read_since
        while not self.finished:
            history = await self._read_page(read, page, peek)
            peek = False
            if history.trimmed and recoveries < MAX_RECOVERIES:
                recoveries += 1
                recovered = await self._recover()
                if recovered:
                    for chunk in recovered:
                        yield chunk
                    continue
            for event in history.events:
                # seq == cursor only from a peek: a client resuming after its `done` gets
                # it again (same id) and the stream closes, not keepalives until a timeout
                if event.seq > self.cursor or (
                    event.seq == self.cursor and event.event == TERMINAL_STAGE
                ):
                    yield self._sent(event, frames.event_frame(event))
                    if self.finished:
                        return
                    if self._burst >= BURST:
                        await self._breathe()
            if len(history.events) < page:
                return

    async def _read_page(self, read: Read, page: int, peek: bool) -> History:
        """History after the cursor; with `peek` (a resume) from the client's own last event
        on, in the same round trip, to see whether that was `done`.

        A resume whose "last event" does not exist (an id past the job's end: forged, or
        from another job) would otherwise wait for seqs that never come, keepalive after
        keepalive, even when the job is long done: it is replayed from the start instead."""
        if not peek:
            return await read(self.job_id, self.cursor, page)
        history = await read(self.job_id, self.cursor - 1, page)
        if history.trimmed:  # its last event is gone too: ask the usual way
            return await read(self.job_id, self.cursor, page)
        if not history.events:  # nothing at or after the cursor, nothing trimmed: past the end
            log.info(
                "job %s: Last-Event-ID %d is past its end, replaying", self.job_id, self.cursor
            )
            self.cursor = 0
            return await read(self.job_id, 0, page)
        return history

    async def _recover(self) -> list[bytes]:
        """Latest state and token snapshot for a client whose next events were trimmed.

        Tokens must never be lost, progress may be summarised: the state is sent only when
        it precedes the snapshot's last token (ids stay monotonic); a newer state is read
        from history right after the snapshot, where it still is.
        """
        snapshot = await self._bus.token_snapshot(self.job_id)
        state = await self._bus.latest_state(self.job_id)
        self._metrics.recoveries += 1
        out: list[bytes] = []
        if snapshot is not None and snapshot.last_seq > self.cursor:
            if state is not None and self.cursor < state.seq < snapshot.last_seq:
                out.append(self._sent_state(state))
            self.cursor = snapshot.last_seq
            self._last_sent = self._last_event = time.monotonic()
            self._metrics.frames["token_recovery"] += 1
            out.append(frames.token_recovery(snapshot))
        elif state is not None and state.seq > self.cursor:
            out.append(self._sent_state(state))
        return out

    def _sent_state(self, state: JobState) -> bytes:
        event = StreamEvent(job_id=self.job_id, seq=state.seq, event=state.stage, data=state.data)
        return self._sent(event, frames.event_frame(event))

    async def _breathe(self) -> None:
        """Let other clients (and this one's disconnect) run: uvicorn's `send` does not
        suspend while the socket takes data, so a long replay would otherwise hold the loop,
        and a client gone mid-burst would get writes until `connection_lost` runs (asyncio
        logs "socket.send() raised exception." from the fifth such write on)."""
        self._burst = 0
        await asyncio.sleep(0)

    def _sent(self, event: StreamEvent, frame: bytes) -> bytes:
        self._burst += 1
        self.cursor = event.seq
        self._last_sent = self._last_event = time.monotonic()
        if event.event == TERMINAL_STAGE:
            self.finished = True
        self._metrics.frames[TOKEN if event.event == TOKEN else "progress"] += 1
        if event.traceparent is not None:  # progress events appended while tracing was on
            mark(event.traceparent, f"sse send {event.event}", {"eco2.job_id": self.job_id,
                                                               "eco2.seq": event.seq})  # fmt: skip
        return frame

    def _farewell(self) -> bytes:
        self.finished = True
        self._metrics.frames["farewell"] += 1
        retry_ms = random.randint(self._config.retry_min_ms, self._config.retry_max_ms)
        return frames.farewell(self.cursor, retry_ms)

    def _error(self, code: str, message: str) -> bytes:
        self.finished = True
        self._metrics.frames["error"] += 1
        return frames.error(self.cursor, code, message)
