"""One client's stream over the in-memory bus, without HTTP: what frames, in what order.

The session generator is consumed directly, so each case is exact about the bytes a client
gets (the HTTP tests in tests/integration/test_sse_*.py cover the wire and both adapters).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from eventing.bus.limits import BusLimits
from eventing.bus.memory import InMemoryEventBus
from eventing.bus.port import StreamEvent
from eventing.sse.config import GatewayConfig
from eventing.sse.gateway import Gateway, parse_last_event_id
from eventing.sse.session import StreamSession
from tests.load.sse.harness import Frame, parse_frames, token_text

FAST = GatewayConfig(keepalive_s=0.2, drain_grace_s=1.0)


@pytest.fixture
async def bus() -> AsyncIterator[InMemoryEventBus]:
    bus = InMemoryEventBus()
    yield bus
    await bus.close()


@pytest.fixture
async def gateway(bus: InMemoryEventBus) -> AsyncIterator[Gateway]:
    gateway = Gateway(bus, FAST)
    yield gateway
    await gateway.close()


def session(gateway: Gateway, job_id: str, after: int = 0) -> StreamSession:
    return StreamSession(
        gateway.reads, gateway.hub, gateway.metrics, gateway.config, job_id=job_id, after_seq=after
    )


async def collect(
    stream: StreamSession, *, until: Callable[[list[Frame]], bool] | None = None
) -> list[Frame]:
    frames: list[Frame] = []
    gen = stream.frames()
    try:
        async with asyncio.timeout(10):
            async for chunk in gen:
                frames.extend(parse_frames(chunk))
                if until is not None and until(frames):
                    break
    finally:
        await gen.aclose()
    return frames


async def chat_job(
    bus: InMemoryEventBus, job: str, tokens: list[str], *, fail: bool = False
) -> str:
    """queued, answer started, tokens, answer completed, done: the shape of a chat job."""
    await bus.register_job(job, "alice", "chat")
    await bus.publish_progress(job, "queued", "completed", progress=0)
    await bus.publish_progress(job, "answer", "started", progress=50)
    for t in tokens:
        await bus.publish_token(job, t, node="answer")
    await bus.publish_progress(job, "answer", "completed", progress=90)
    result: dict[str, Any] = {"answer": "".join(tokens)}
    await bus.publish_progress(job, "done", "failed" if fail else "completed", result=result)
    return "".join(tokens)


def as_frames(events: list[StreamEvent]) -> list[Frame]:
    return [Frame(e.event, e.seq, dict(e.data)) for e in events]


TOKENS = [f"토큰{i} " for i in range(20)]


async def test_replay_from_the_start_ends_with_done(
    bus: InMemoryEventBus, gateway: Gateway
) -> None:
    text = await chat_job(bus, "j", TOKENS)
    frames = await collect(session(gateway, "j"))
    assert frames == as_frames((await bus.read_since("j", 0)).events)
    assert frames[-1].event == "done" and frames[-1].data["status"] == "completed"
    assert token_text(frames) == text
    assert gateway.metrics.connections == 0  # the stream closed itself after done


async def test_resume_strictly_after_every_id(bus: InMemoryEventBus, gateway: Gateway) -> None:
    await chat_job(bus, "j", TOKENS)
    everything = as_frames((await bus.read_since("j", 0)).events)
    for last in range(len(everything) + 1):
        frames = await collect(session(gateway, "j", after=last))
        if last == len(everything):  # after done: done again (same id), then close
            assert frames == [everything[-1]]
        else:
            assert frames == everything[last:]


async def test_failed_job_still_ends_with_done_failed(
    bus: InMemoryEventBus, gateway: Gateway
) -> None:
    await chat_job(bus, "j", TOKENS[:2], fail=True)
    frames = await collect(session(gateway, "j"))
    assert frames[-1].event == "done" and frames[-1].data["status"] == "failed"


async def test_live_follows_history_with_each_seq_once(
    bus: InMemoryEventBus, gateway: Gateway
) -> None:
    """Clients join at random moments while a job streams: none misses or repeats a seq."""
    await bus.register_job("j", "alice", "chat")

    async def job() -> None:
        for i in range(200):
            await bus.publish_token("j", f"{i},", node="answer")
            if i % 20 == 0:
                await asyncio.sleep(0.001)
        await bus.publish_progress("j", "done", "completed")

    async def late_client(delay: float) -> list[Frame]:
        await asyncio.sleep(delay)
        return await collect(session(gateway, "j"))

    clients = [asyncio.create_task(late_client(d / 200)) for d in range(8)]
    await job()
    for frames in await asyncio.gather(*clients):
        assert [f.id for f in frames] == list(range(1, 202))
        assert token_text(frames) == "".join(f"{i}," for i in range(200))


async def test_duplicate_live_deliveries_are_sent_once(
    bus: InMemoryEventBus, gateway: Gateway
) -> None:
    """Router replicas may release an event twice; the client sees each seq once."""
    await bus.register_job("j", "alice", "chat")
    stream = session(gateway, "j")
    reader = asyncio.create_task(collect(stream))
    await asyncio.sleep(0.05)
    for i in range(10):
        event = await bus.publish_token("j", str(i), node="n")
        gateway.hub.dispatch(event)  # the second copy
        await asyncio.sleep(0.01)  # both copies reach the client's queue
    done = await bus.publish_progress("j", "done", "completed")
    assert done is not None
    gateway.hub.dispatch(done)
    frames = await reader
    assert [f.id for f in frames] == list(range(1, 12))
    assert gateway.metrics.duplicates >= 10


async def test_trimmed_history_sends_state_then_snapshot_then_the_rest() -> None:
    bus = InMemoryEventBus(BusLimits(history_maxlen=10))
    gateway = Gateway(bus, FAST)
    try:
        await bus.register_job("j", "alice", "chat")
        await bus.publish_progress("j", "queued", "completed")
        await bus.publish_progress("j", "answer", "started", progress=50)  # seq 2
        text = "".join([f"t{i} " for i in range(30)])
        for i in range(30):
            await bus.publish_token("j", f"t{i} ", node="answer")  # seqs 3..32
        before = await collect(session(gateway, "j", after=1), until=lambda f: len(f) >= 2)
        assert [f.event for f in before[:2]] == ["answer", "token_recovery"]
        assert before[1].data == {
            "stage": "token_recovery",
            "status": "snapshot",
            "accumulated": text,
            "last_seq": 32,
            "completed": False,
        }
        assert before[1].id == 32 and len(before) == 2
        await bus.publish_token("j", "tail", node="answer")
        await bus.publish_progress("j", "done", "completed")
        frames = await collect(session(gateway, "j", after=1))
        # the latest state is now `done`, newer than the last token: it follows the snapshot
        assert [f.event for f in frames] == ["token_recovery", "done"]
        assert [f.id for f in frames] == [33, 34]  # ids never go backwards
        assert token_text(frames) == text + "tail"
    finally:
        await gateway.close()
        await bus.close()


async def test_trimmed_done_job_gets_snapshot_and_done() -> None:
    bus = InMemoryEventBus(BusLimits(history_maxlen=5))
    gateway = Gateway(bus, FAST)
    try:
        text = await chat_job(bus, "j", TOKENS)
        frames = await collect(session(gateway, "j"))
        assert frames[0].event == "token_recovery"
        assert [f.event for f in frames[1:]] == ["answer", "done"]
        assert token_text(frames) == text
    finally:
        await gateway.close()
        await bus.close()


async def test_trimmed_scan_job_gets_its_latest_state() -> None:
    bus = InMemoryEventBus(BusLimits(history_maxlen=2))
    gateway = Gateway(bus, FAST)
    try:
        await bus.register_job("s", "alice", "scan")
        for stage in ("queued", "vision", "rule", "answer"):
            await bus.publish_progress("s", stage, "started")
            await bus.publish_progress("s", stage, "completed")
        reader = asyncio.create_task(collect(session(gateway, "s")))
        await asyncio.sleep(0.05)
        await bus.publish_progress("s", "done", "completed", result={"task_id": "s"})
        frames = await reader
        assert [(f.event, f.data["status"]) for f in frames] == [
            ("answer", "completed"),
            ("done", "completed"),
        ]
        assert frames[0].data["ts"] and frames[0].data["job_id"] == "s"
    finally:
        await gateway.close()
        await bus.close()


async def test_keepalive_is_named_with_the_last_id_at_the_configured_cadence(
    bus: InMemoryEventBus, gateway: Gateway
) -> None:
    await bus.register_job("j", "alice", "chat")
    await bus.publish_progress("j", "queued", "completed")
    stamps: list[float] = []

    def three_keepalives(frames: list[Frame]) -> bool:
        if frames[-1].event == "keepalive":
            stamps.append(time.monotonic())
        return len(stamps) == 3

    frames = await collect(session(gateway, "j"), until=three_keepalives)
    assert frames[0].event == "queued"
    assert all(f.id == 1 for f in frames[1:]) and len(frames) == 4
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert all(0.15 < g < 0.6 for g in gaps), gaps


async def test_a_silent_job_ends_with_error_timeout(bus: InMemoryEventBus) -> None:
    gateway = Gateway(bus, GatewayConfig(keepalive_s=0.05, idle_timeout_s=0.3))
    try:
        await bus.register_job("j", "alice", "scan")
        frames = await collect(session(gateway, "j"))
        assert frames[-1].event == "error" and frames[-1].data["error"] == "timeout"
        assert {f.event for f in frames[:-1]} == {"keepalive"}
    finally:
        await gateway.close()


async def test_drain_says_goodbye_with_a_retry_hint(
    bus: InMemoryEventBus, gateway: Gateway
) -> None:
    await bus.register_job("j", "alice", "chat")
    await bus.publish_progress("j", "queued", "completed")
    reader = asyncio.create_task(collect(session(gateway, "j")))
    await asyncio.sleep(0.05)
    gateway.drain()
    frames = await reader
    assert frames[-1].event == "keepalive" and frames[-1].id == 1
    assert frames[-1].data["reason"] == "draining"
    assert frames[-1].retry is not None and 1000 <= frames[-1].retry <= 10_000
    assert gateway.metrics.frames["farewell"] == 1


@pytest.mark.parametrize(
    ("raw", "seq"), [(None, 0), ("", 0), ("7", 7), (" 7 ", 7), ("x", 0), ("-3", 0)]
)
def test_last_event_id_parsing(raw: str | None, seq: int) -> None:
    assert parse_last_event_id(raw) == seq


async def test_a_slow_client_never_holds_up_a_fast_one_and_still_gets_everything(
    bus: InMemoryEventBus,
) -> None:
    gateway = Gateway(bus, GatewayConfig(keepalive_s=0.2, queue_size=4))
    try:
        await bus.register_job("j", "alice", "chat")
        release = asyncio.Event()

        async def slow() -> list[Frame]:
            frames: list[Frame] = []
            gen = session(gateway, "j").frames()
            async for chunk in gen:
                frames.extend(parse_frames(chunk))
                await release.wait()  # stalled after its first frame, like a full socket
            return frames

        slow_task = asyncio.create_task(slow())
        fast_task = asyncio.create_task(collect(session(gateway, "j")))
        await asyncio.sleep(0.05)
        text = ""
        for i in range(300):
            text += f"{i} "
            await bus.publish_token("j", f"{i} ", node="answer")
            if i % 10 == 0:
                await asyncio.sleep(0)  # let the hub and the fast client run
        await bus.publish_progress("j", "done", "completed")
        fast = await asyncio.wait_for(fast_task, 5)  # done while the slow one is stalled
        assert token_text(fast) == text and not slow_task.done()
        release.set()
        slow_frames = await asyncio.wait_for(slow_task, 5)
        assert [f.id for f in slow_frames] == list(range(1, 302))  # resynced from history
        assert token_text(slow_frames) == text and slow_frames[-1].event == "done"
        assert gateway.metrics.dropped > 0 and gateway.metrics.resyncs > 0
    finally:
        await gateway.close()


class _Wrapped:
    """The real in-memory bus with one behaviour changed, to provoke a failure mode."""

    def __init__(self, bus: InMemoryEventBus) -> None:
        self.bus = bus

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bus, name)


class _LosesDone(_Wrapped):
    """A live feed that drops `done` (Pub/Sub is at-most-once)."""

    async def _live(self) -> AsyncIterator[StreamEvent]:
        async for event in self.bus.live():
            if event.event != "done":
                yield event

    def live(self) -> AsyncIterator[StreamEvent]:
        return self._live()


class _FeedBreaksOnce(_Wrapped):
    """The first live feed dies after three events (a Redis restart), later ones work."""

    def __init__(self, bus: InMemoryEventBus) -> None:
        super().__init__(bus)
        self.feeds = 0

    async def _live(self, breaks: bool) -> AsyncIterator[StreamEvent]:
        n = 0
        async for event in self.bus.live():
            n += 1
            if breaks and n > 3:
                raise ConnectionError("live feed lost")
            yield event

    def live(self) -> AsyncIterator[StreamEvent]:
        self.feeds += 1
        return self._live(breaks=self.feeds == 1)


class _ReadsFail(_Wrapped):
    async def read_since(self, job_id: str, after_seq: int, limit: int = 1000) -> Any:
        if after_seq > 0:
            raise ConnectionError("redis went away")
        return await self.bus.read_since(job_id, after_seq, limit)


async def test_a_done_lost_on_the_live_feed_is_found_in_history(bus: InMemoryEventBus) -> None:
    config = GatewayConfig(keepalive_s=0.05, history_poll_s=0.4)
    gateway = Gateway(_LosesDone(bus), config)  # type: ignore[arg-type]
    try:
        await bus.register_job("j", "alice", "chat")
        reader = asyncio.create_task(collect(session(gateway, "j")))
        await asyncio.sleep(0.15)  # past the first idle poll: the next one is history_poll_s on
        await bus.publish_token("j", "hi", node="n")
        await bus.publish_progress("j", "done", "completed")
        started = asyncio.get_running_loop().time()
        frames = await asyncio.wait_for(reader, 2)
        assert [f.event for f in frames if f.event != "keepalive"] == ["token", "done"]
        assert asyncio.get_running_loop().time() - started < 1.0
    finally:
        await gateway.close()


async def test_the_hub_resubscribes_and_clients_catch_up(bus: InMemoryEventBus) -> None:
    broken = _FeedBreaksOnce(bus)
    gateway = Gateway(broken, GatewayConfig(keepalive_s=5))  # type: ignore[arg-type]
    gateway.hub._restart_delay_s = 0.05
    try:
        await bus.register_job("j", "alice", "chat")
        reader = asyncio.create_task(collect(session(gateway, "j")))
        await asyncio.sleep(0.05)
        for i in range(10):
            await bus.publish_token("j", str(i), node="n")
            await asyncio.sleep(0.01)
        await bus.publish_progress("j", "done", "completed")
        frames = await asyncio.wait_for(reader, 3)  # well before the 5 s idle poll
        assert [f.id for f in frames] == list(range(1, 12))
        assert broken.feeds >= 2 and gateway.metrics.live_restarts >= 1
    finally:
        await gateway.close()


async def test_a_bus_failure_mid_stream_is_one_error_temporary(bus: InMemoryEventBus) -> None:
    gateway = Gateway(_ReadsFail(bus), GatewayConfig(keepalive_s=0.1))  # type: ignore[arg-type]
    try:
        await bus.register_job("j", "alice", "chat")
        await bus.publish_token("j", "a", node="n")
        frames = await collect(session(gateway, "j"))
        assert [f.event for f in frames] == ["token", "error"]
        assert frames[-1].data == {
            "error": "temporary",
            "message": "event stream interrupted; reconnect or poll the result",
        }
        assert frames[-1].id == 1
    finally:
        await gateway.close()


@pytest.mark.parametrize("after", [35, 36, 1_000, 10**30])
async def test_a_last_event_id_past_the_end_of_a_done_job_replays_to_done(
    bus: InMemoryEventBus, gateway: Gateway, after: int
) -> None:
    """Not a position at all (forged, or another job's): a replay from the start, ending with
    `done` — before, it got keepalives until the idle timeout."""
    await chat_job(bus, "j", TOKENS)  # seqs 1..24
    everything = as_frames((await bus.read_since("j", 0)).events)
    frames = await collect(session(gateway, "j", after=after))
    assert frames == everything
    assert frames[-1].event == "done"


async def test_a_last_event_id_past_the_end_of_a_live_job_follows_it_from_the_start(
    bus: InMemoryEventBus, gateway: Gateway
) -> None:
    await bus.register_job("j", "alice", "chat")
    await bus.publish_progress("j", "queued", "completed")
    reader = asyncio.create_task(collect(session(gateway, "j", after=50)))
    await asyncio.sleep(0.05)
    await bus.publish_token("j", "hi", node="answer")
    await bus.publish_progress("j", "done", "completed")
    frames = await reader
    assert [(f.event, f.id) for f in frames] == [("queued", 1), ("token", 2), ("done", 3)]


@pytest.mark.parametrize("raw", ["9" * 5000, "99999999999999999999999999", "1e3", "--1", "7;x"])
async def test_a_malformed_last_event_id_still_ends_with_done(
    bus: InMemoryEventBus, gateway: Gateway, raw: str
) -> None:
    await chat_job(bus, "j", TOKENS[:2])
    frames = await collect(session(gateway, "j", after=parse_last_event_id(raw)))
    assert frames[-1].event == "done" and frames[0].id == 1
