"""One live subscription per gateway process, fanned out by job id to per-client queues.

The hub never waits on a client: `ClientQueue.offer` is synchronous and bounded. When a slow
client's queue is full its pending non-terminal events are dropped and it is marked for
resync (its session re-reads history from the bus on its next turn), so a stalled browser
costs one small queue and never delays another client. `done` is always kept.

If the live feed fails (Redis restart), the hub resubscribes with backoff and marks every
client for resync: whatever was published while it was away is read back from history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator

from eventing.bus.port import TERMINAL_STAGE, EventBus, StreamEvent
from eventing.sse.frames import event_frame
from eventing.sse.metrics import GatewayMetrics

log = logging.getLogger(__name__)

Item = tuple[StreamEvent, bytes]  # the event and its encoded frame (encoded once per event)


class ClientQueue:
    """What the hub hands one client: live events of its job, a resync flag, a drain flag."""

    __slots__ = ("_items", "_limit", "_metrics", "_wakeup", "draining", "job_id", "resync")

    def __init__(self, job_id: str, limit: int, metrics: GatewayMetrics) -> None:
        self.job_id = job_id
        self._limit = limit
        self._metrics = metrics
        self._items: deque[Item] = deque()
        self._wakeup = asyncio.Event()
        self.resync = False
        self.draining = False

    def offer(self, event: StreamEvent, frame: bytes) -> None:
        if len(self._items) >= self._limit:
            self._metrics.dropped += len(self._items)
            self._items.clear()
            self.resync = True
            if event.event != TERMINAL_STAGE:
                self._metrics.dropped += 1
                self._wakeup.set()
                return
        self._items.append((event, frame))
        self._wakeup.set()

    def take(self) -> Item | None:
        return self._items.popleft() if self._items else None

    def poke(self, *, resync: bool = False, drain: bool = False) -> None:
        self.resync = self.resync or resync
        self.draining = self.draining or drain
        self._wakeup.set()

    async def wait(self, timeout_s: float) -> bool:
        """Wait for something to do; False when `timeout_s` passed with nothing."""
        if self._items or self.resync or self.draining:
            return True
        self._wakeup.clear()
        try:
            async with asyncio.timeout(max(0.0, timeout_s)):
                await self._wakeup.wait()
        except TimeoutError:
            return False
        return True


class FanOutHub:
    def __init__(
        self, bus: EventBus, metrics: GatewayMetrics, *, restart_delay_s: float = 1.0
    ) -> None:
        self._bus = bus
        self._metrics = metrics
        self._restart_delay_s = restart_delay_s
        self._clients: dict[str, set[ClientQueue]] = {}
        self._task: asyncio.Task[None] | None = None
        self._feed: AsyncIterator[StreamEvent] | None = None
        self.draining = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Subscribe to the live feed (at the first client; nothing connects at import)."""
        if self.running:
            return
        self._feed = self._bus.live()  # created now: an eager feed hears from this moment
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sse-live-hub")

    def subscribe(self, job_id: str, limit: int) -> ClientQueue:
        self.start()
        queue = ClientQueue(job_id, limit, self._metrics)
        self._clients.setdefault(job_id, set()).add(queue)
        return queue

    def unsubscribe(self, queue: ClientQueue) -> None:
        clients = self._clients.get(queue.job_id)
        if clients is not None:
            clients.discard(queue)
            if not clients:
                del self._clients[queue.job_id]

    def drain(self) -> None:
        """Tell every client to say goodbye; the API refuses new ones meanwhile."""
        self.draining = True
        for clients in self._clients.values():
            for queue in clients:
                queue.poke(drain=True)

    def dispatch(self, event: StreamEvent) -> None:
        self._metrics.live_events += 1
        clients = self._clients.get(event.job_id)
        if not clients:
            return
        frame = event_frame(event)
        for queue in clients:
            queue.offer(event, frame)

    async def _run(self) -> None:
        while True:
            feed = self._feed or self._bus.live()
            self._feed = None
            try:
                async for event in feed:
                    self.dispatch(event)
                log.warning("live feed ended; resubscribing")
            except Exception:
                log.exception("live feed failed; resubscribing")
            finally:
                await _close(feed)
            self._metrics.live_restarts += 1
            for clients in self._clients.values():  # anything missed is read back from history
                for queue in clients:
                    queue.poke(resync=True)
            await asyncio.sleep(self._restart_delay_s)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._feed is not None:
            await _close(self._feed)
            self._feed = None


async def _close(feed: AsyncIterator[StreamEvent]) -> None:
    aclose = getattr(feed, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()
