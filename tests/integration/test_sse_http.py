"""The SSE gateway over real HTTP (uvicorn on 127.0.0.1:0), on both event bus adapters.

The Redis variant runs the real Redis bus with its event router, so live events travel
publish script → shard stream → router → Pub/Sub → the gateway's one subscription.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from eventing.bus.limits import BusLimits
from eventing.bus.memory import InMemoryEventBus
from eventing.bus.port import EventBus
from eventing.errors import BusUnavailableError
from eventing.sse.config import GatewayConfig
from functions.kit.deploy.sse_gateway import create_gateway_app
from tests.load.sse.harness import Frame, base_url, parse_frames, read_sse, serve, token_text
from tests.support.buses import BusFactory

pytestmark = pytest.mark.integration

FAST = GatewayConfig(keepalive_s=0.3, drain_grace_s=2.0)
N_SLOW = 400


@pytest.fixture(params=["memory", "redis"])
def make_bus(request: pytest.FixtureRequest) -> BusFactory:
    factory: BusFactory = request.getfixturevalue(f"{request.param}_buses")
    return factory


@pytest.fixture
async def bus(make_bus: BusFactory) -> EventBus:
    return await make_bus(BusLimits())


@pytest.fixture
async def client(bus: EventBus) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_gateway_app(bus=bus, config=FAST)) as server,
        httpx.AsyncClient(base_url=base_url(server), timeout=10) as http,
    ):
        yield http


async def chat_job(bus: EventBus, job: str, n_tokens: int, *, fail: bool = False) -> str:
    await bus.register_job(job, "alice", "chat")
    await bus.publish_progress(job, "queued", "completed", progress=0)
    await bus.publish_progress(job, "answer", "started", progress=50)
    text = ""
    for i in range(n_tokens):
        text += f"토큰{i} "
        await bus.publish_token(job, f"토큰{i} ", node="answer")
    await bus.publish_progress(job, "answer", "completed", progress=90)
    status = "failed" if fail else "completed"
    await bus.publish_progress(job, "done", status, result={"answer": text}, message="bye")
    return text


# ------------------------------------------------------------------ who may subscribe


async def test_only_the_owner_may_subscribe(bus: EventBus, client: httpx.AsyncClient) -> None:
    await bus.register_job("mine", "alice", "scan")
    for kind in ("scan", "chat"):
        path = f"/api/v1/{kind}/mine/events"
        anonymous = await client.get(path)
        assert anonymous.status_code == 401
        assert anonymous.json()["code"] == "UNAUTHENTICATED"
        for user, job in (("mallory", "mine"), ("alice", "nobody")):
            denied = await client.get(f"/api/v1/{kind}/{job}/events", headers={"x-user-id": user})
            assert denied.status_code == 404  # never 403: that logs the PWA out
            assert denied.json() == {"detail": "job not found", "code": "NOT_FOUND"}
    metrics = (await client.get("/metrics")).text
    assert 'eco2_sse_rejected_total{reason="not_found"} 4' in metrics


async def test_wire_format_every_event_named_with_an_id(
    bus: EventBus, client: httpx.AsyncClient
) -> None:
    text = await chat_job(bus, "j", 5)
    headers = {"x-user-id": "alice", "origin": "https://pwa.example"}
    async with client.stream("GET", "/api/v1/chat/j/events", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        assert "access-control-allow-origin" not in response.headers  # the edge's job, no "*"
        raw = await response.aread()  # the server closes the stream after `done`
    blocks = [b for b in raw.decode().split("\n\n") if b]
    assert all(b.startswith("event: ") and "\nid: " in b for b in blocks)
    frames = parse_frames(raw)
    assert [f.id for f in frames] == list(range(1, 10))
    assert frames[0] == Frame(
        "queued",
        1,
        {"job_id": "j", "stage": "queued", "status": "completed", "seq": 1, "progress": 0},
    )
    assert frames[2].data == {"content": "토큰0 ", "seq": 3, "node": "answer"}
    assert frames[-1].event == "done"
    assert frames[-1].data["result"] == {"answer": text} and frames[-1].data["progress"] == 100
    assert token_text(frames) == text


# ------------------------------------------------------------------ replay and resume


async def test_replay_and_resume_after_every_id(bus: EventBus, client: httpx.AsyncClient) -> None:
    text = await chat_job(bus, "j", 6)
    everything = await read_sse(client, "/api/v1/chat/j/events")
    assert [f.id for f in everything] == list(range(1, 11)) and token_text(everything) == text
    for last in range(len(everything)):
        resumed = await read_sse(client, "/api/v1/chat/j/events", last_event_id=last)
        assert resumed == everything[last:]
    after_done = await read_sse(client, "/api/v1/chat/j/events", last_event_id=10)
    assert after_done == everything[-1:]  # `done` again, then the stream closes


async def test_failed_job_ends_with_done_failed(bus: EventBus, client: httpx.AsyncClient) -> None:
    await chat_job(bus, "j", 2, fail=True)
    frames = await read_sse(client, "/api/v1/chat/j/events")
    assert frames[-1].event == "done"
    assert frames[-1].data["status"] == "failed" and frames[-1].data["message"] == "bye"


async def test_live_job_streams_to_a_client_that_subscribed_first(
    bus: EventBus, client: httpx.AsyncClient
) -> None:
    await bus.register_job("s", "alice", "scan")
    await bus.publish_progress("s", "queued", "completed")
    reader = asyncio.create_task(read_sse(client, "/api/v1/scan/s/events"))
    await asyncio.sleep(0.2)
    for stage in ("vision", "rule", "answer", "reward"):
        await bus.publish_progress("s", stage, "started")
        await bus.publish_progress("s", stage, "completed")
    await bus.publish_progress("s", "done", "completed", result={"task_id": "s"})
    frames = await asyncio.wait_for(reader, 10)
    assert [f.id for f in frames] == list(range(1, 11))
    assert [f.event for f in frames if f.data.get("status") == "completed"] == [
        "queued", "vision", "rule", "answer", "reward", "done",
    ]  # fmt: skip
    assert all(f.data["ts"] for f in frames)


async def test_keepalives_are_named_and_carry_the_last_id(
    bus: EventBus, client: httpx.AsyncClient
) -> None:
    await bus.register_job("j", "alice", "chat")
    await bus.publish_progress("j", "queued", "completed")
    started = asyncio.get_running_loop().time()
    frames = await read_sse(client, "/api/v1/chat/j/events", stop_after=4)
    elapsed = asyncio.get_running_loop().time() - started
    assert [f.event for f in frames] == ["queued", "keepalive", "keepalive", "keepalive"]
    assert {f.id for f in frames} == {1}
    assert 0.8 < elapsed < 3.0  # three 0.3 s keepalive intervals (with a shared CI core)


async def test_trimmed_history_recovers_with_a_snapshot(make_bus: BusFactory) -> None:
    # MAXLEN ~ trims Redis streams by whole nodes (100 entries), so publish well past it.
    bus = await make_bus(BusLimits(history_maxlen=50))
    text = await chat_job(bus, "j", 400)
    async with (
        serve(create_gateway_app(bus=bus, config=FAST)) as server,
        httpx.AsyncClient(base_url=base_url(server), timeout=10) as http,
    ):
        frames = await read_sse(http, "/api/v1/chat/j/events", last_event_id=3)
    assert frames[0].event == "answer" or frames[0].event == "token_recovery"
    recovery = next(f for f in frames if f.event == "token_recovery")
    assert recovery.data["status"] == "snapshot" and recovery.data["completed"] is False
    assert recovery.id == recovery.data["last_seq"] == 402
    assert token_text(frames) == text
    ids = [f.id for f in frames]
    assert ids == sorted(set(ids)) and frames[-1].event == "done"


# ------------------------------------------------------------------ slow clients


async def test_slow_client_does_not_block_a_fast_one(make_bus: BusFactory) -> None:
    """A client that stops reading fills its socket, then its small queue: it is dropped to
    resync, the fast client finishes meanwhile, and the slow one still gets the exact text."""
    bus = await make_bus(BusLimits(history_maxlen=10_000))
    config = GatewayConfig(keepalive_s=1, queue_size=8)
    await bus.register_job("j", "alice", "chat")
    async with serve(create_gateway_app(bus=bus, config=config), sndbuf=16_384) as server:
        url = base_url(server)
        async with (
            httpx.AsyncClient(base_url=url, timeout=30) as slow_http,
            httpx.AsyncClient(base_url=url, timeout=30) as fast_http,
        ):
            headers = {"x-user-id": "alice"}
            async with slow_http.stream("GET", "/api/v1/chat/j/events", headers=headers) as slow:
                fast = asyncio.create_task(read_sse(fast_http, "/api/v1/chat/j/events"))
                await asyncio.sleep(0.3)
                chunk = "x" * 1000
                for i in range(N_SLOW):  # 400 kB the slow client does not read yet
                    await bus.publish_token("j", f"{i}{chunk}|", node="answer")
                    if i % 50 == 0:
                        await asyncio.sleep(0.005)
                await bus.publish_progress("j", "done", "completed")
                fast_frames = await asyncio.wait_for(fast, 20)
                assert not slow.is_closed  # the fast one is done, the slow one still stalled
                slow_frames = parse_frames(await slow.aread())
            metrics = (await fast_http.get("/metrics")).text
    text = "".join(f"{i}{chunk}|" for i in range(N_SLOW))
    assert token_text(fast_frames) == text and fast_frames[-1].event == "done"
    assert token_text(slow_frames) == text and slow_frames[-1].event == "done"
    assert [f.id for f in slow_frames] == list(range(1, N_SLOW + 2))
    dropped = next(line for line in metrics.splitlines() if line.startswith("eco2_sse_dropped"))
    assert int(dropped.split()[-1]) > 0


# ------------------------------------------------------------------ drain


async def test_graceful_drain_says_goodbye_and_clients_resume_elsewhere(
    bus: EventBus,
) -> None:
    await bus.register_job("j", "alice", "chat")
    await bus.publish_progress("j", "queued", "completed")
    await bus.publish_token("j", "a", node="answer")
    async with (
        serve(create_gateway_app(bus=bus, config=FAST)) as server,
        httpx.AsyncClient(base_url=base_url(server), timeout=10) as http,
    ):
        readers = [asyncio.create_task(read_sse(http, "/api/v1/chat/j/events")) for _ in range(3)]
        await asyncio.sleep(0.3)
        server.should_exit = True  # what SIGTERM does
        for frames in await asyncio.wait_for(asyncio.gather(*readers), 10):
            assert [f.event for f in frames[:2]] == ["queued", "token"]
            assert {f.event for f in frames[2:]} == {"keepalive"}  # ended by the farewell
            farewell = frames[-1]
            assert farewell.id == 2 and farewell.data["reason"] == "draining"
            assert farewell.retry is not None and 1000 <= farewell.retry <= 10_000
    await bus.publish_token("j", "b", node="answer")
    await bus.publish_progress("j", "done", "completed")
    async with (
        serve(create_gateway_app(bus=bus, config=FAST)) as other_replica,
        httpx.AsyncClient(base_url=base_url(other_replica), timeout=10) as http,
    ):
        rest = await read_sse(http, "/api/v1/chat/j/events", last_event_id=2)
    assert [(f.event, f.id) for f in rest] == [("token", 3), ("done", 4)]


async def test_metrics_count_connections_and_deliveries(
    bus: EventBus, client: httpx.AsyncClient
) -> None:
    await bus.register_job("j", "alice", "chat")
    await bus.publish_token("j", "a", node="answer")
    reader = asyncio.create_task(read_sse(client, "/api/v1/chat/j/events"))
    await asyncio.sleep(0.2)
    during = (await client.get("/metrics")).text
    assert "eco2_sse_connections 1" in during.splitlines()
    await bus.publish_progress("j", "done", "completed")
    await asyncio.wait_for(reader, 10)
    await asyncio.sleep(0.05)
    after = (await client.get("/metrics")).text.splitlines()
    assert "eco2_sse_connections 0" in after
    assert 'eco2_sse_frames_delivered_total{kind="token"} 1' in after
    assert 'eco2_sse_frames_delivered_total{kind="progress"} 1' in after
    assert (await client.get("/ready")).json()["ready"] is True


class _OwnerUnreadable:
    """The real in-memory bus whose owner lookup fails, as a Redis timeout would."""

    def __init__(self, bus: InMemoryEventBus) -> None:
        self._bus = bus

    def __getattr__(self, name: str) -> object:
        return getattr(self._bus, name)

    async def owner_of(self, job_id: str) -> str | None:
        raise BusUnavailableError("redis timed out")  # what the Redis adapter translates to


async def test_a_bus_failure_at_subscription_is_a_503_not_a_500() -> None:
    bus = InMemoryEventBus()
    app = create_gateway_app(bus=_OwnerUnreadable(bus), config=FAST)  # type: ignore[arg-type]
    async with (
        serve(app) as server,
        httpx.AsyncClient(base_url=base_url(server), timeout=10) as http,
    ):
        response = await http.get("/api/v1/chat/j/events", headers={"x-user-id": "alice"})
    assert response.status_code == 503 and response.headers["retry-after"] == "2"
    assert response.json() == {
        "detail": "event stream temporarily unavailable",
        "code": "UNAVAILABLE",
    }
