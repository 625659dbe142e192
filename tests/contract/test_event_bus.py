"""The event bus contract, on the in-memory adapter and on real Redis — one server and the local
three-node Redis Cluster — with its router running.

One suite, both adapters: ordering of progress and tokens on one seq, idempotent progress (also
under concurrent publishers), a state that only moves forward, retention (trimmed history, the
token snapshot still whole), resume after any id, owner registration, TTLs, and the live feed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from eventing.bus.entries import JobNotRegistered, JobOwnerConflict
from eventing.bus.limits import BusLimits
from eventing.bus.port import EventBus, StreamEvent, TokenSnapshot
from tests.support.buses import BusFactory


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.integration),
        pytest.param("redis_cluster", marks=pytest.mark.integration),
    ]
)
def make_bus(request: pytest.FixtureRequest) -> BusFactory:
    factory: BusFactory = request.getfixturevalue(f"{request.param}_buses")
    return factory


@pytest.fixture
async def bus(make_bus: BusFactory) -> EventBus:
    return await make_bus(BusLimits())


async def _eventually(check: Callable[[], Awaitable[bool]], within_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


# ------------------------------------------------------------------ shapes and ordering


async def test_progress_and_tokens_share_one_ordering(bus: EventBus) -> None:
    await bus.register_job("j1", "alice", "chat")
    published: list[StreamEvent] = []
    for stage in ("queued", "intent", "answer"):
        started = await bus.publish_progress("j1", stage, "started", progress=10)
        assert started is not None
        published.append(started)
        for i in range(3):
            published.append(await bus.publish_token("j1", f"{stage}{i} ", node=stage))
        completed = await bus.publish_progress("j1", stage, "completed", progress=30)
        assert completed is not None
        published.append(completed)
    assert [e.seq for e in published] == list(range(1, len(published) + 1))
    history = await bus.read_since("j1", 0)
    assert not history.trimmed
    assert history.events == published
    for event in history.events:
        assert event.data["seq"] == event.seq


async def test_chat_shapes_match_the_contract(bus: EventBus) -> None:
    await bus.register_job("c1", "alice", "chat")
    intent = await bus.publish_progress("c1", "intent", "started", progress=5, message="의도")
    token = await bus.publish_token("c1", "안녕", node="answer")
    done = await bus.publish_progress(
        "c1", "done", "completed", result={"intent": "waste", "answer": "끝"}, message="ok"
    )
    assert intent is not None and done is not None
    assert intent.event == "intent"
    assert intent.data == {
        "job_id": "c1",
        "stage": "intent",
        "status": "started",
        "seq": 1,
        "progress": 5,
        "message": "의도",
    }
    assert token.event == "token"
    assert token.data == {"content": "안녕", "seq": 2, "node": "answer"}
    assert done.event == "done"
    assert done.data == {
        "job_id": "c1",
        "stage": "done",
        "status": "completed",
        "seq": 3,
        "progress": 100,
        "result": {"intent": "waste", "answer": "끝"},
        "message": "ok",
    }


async def test_a_rewrite_replaces_the_shown_text_in_the_stream_and_the_snapshot(
    bus: EventBus,
) -> None:
    """An answer re-written after a crash: clients replace what they show, in order, and a
    late client's snapshot is the new text and what followed it."""
    await bus.register_job("r1", "alice", "chat")
    await bus.publish_token("r1", "오늘은 ", node="answer")
    await bus.publish_token("r1", "맑아요", node="answer")
    rewrite = await bus.publish_rewrite("r1", "오늘은 흐려", node="answer")
    after = await bus.publish_token("r1", "요", node="answer")
    assert rewrite.event == "token_recovery" and rewrite.seq == 3
    assert rewrite.data == {
        "stage": "token_recovery", "status": "snapshot", "accumulated": "오늘은 흐려",
        "last_seq": 3, "completed": False,
    }  # fmt: skip
    history = await bus.read_since("r1", 0)
    assert history.events[2:] == [rewrite, after]
    assert await bus.token_snapshot("r1") == TokenSnapshot("오늘은 흐려요", 4, False)


async def test_scan_shapes_match_the_contract(bus: EventBus) -> None:
    await bus.register_job("s1", "bob", "scan")
    vision = await bus.publish_progress("s1", "vision", "completed", progress=40)
    done = await bus.publish_progress("s1", "done", "completed", result={"task_id": "s1"})
    assert vision is not None and done is not None
    assert set(vision.data) == {"job_id", "stage", "status", "seq", "ts", "progress"}
    assert vision.data["stage"] == "vision" and vision.data["progress"] == 40
    assert isinstance(vision.data["ts"], str) and vision.data["ts"].endswith("Z")
    assert set(done.data) == {"job_id", "stage", "status", "seq", "ts", "progress", "result"}
    assert done.data["progress"] == 100 and done.data["result"] == {"task_id": "s1"}


async def test_missing_progress_repeats_the_last_one(bus: EventBus) -> None:
    await bus.register_job("p1", "alice", "chat")
    first = await bus.publish_progress("p1", "queued", "started")
    await bus.publish_progress("p1", "intent", "completed", progress=20)
    later = await bus.publish_progress("p1", "answer", "started")
    assert first is not None and later is not None
    assert first.data["progress"] == 0
    assert later.data["progress"] == 20


# ------------------------------------------------------------------ idempotency


async def test_the_same_stage_and_status_appear_once(bus: EventBus) -> None:
    await bus.register_job("j", "alice", "scan")
    assert await bus.publish_progress("j", "vision", "started") is not None
    assert await bus.publish_progress("j", "vision", "started") is None
    # The status is part of the key: a failed stage is never swallowed by its start.
    failed = await bus.publish_progress("j", "vision", "failed", message="boom")
    assert failed is not None and failed.seq == 2
    assert await bus.publish_progress("j", "vision", "failed") is None
    history = await bus.read_since("j", 0)
    assert [(e.event, e.data["status"]) for e in history.events] == [
        ("vision", "started"),
        ("vision", "failed"),
    ]


async def test_a_job_ends_once(bus: EventBus) -> None:
    await bus.register_job("j", "alice", "chat")
    assert await bus.publish_progress("j", "done", "failed", message="x") is not None
    assert await bus.publish_progress("j", "done", "completed") is None
    assert await bus.publish_progress("j", "done", "failed") is None
    history = await bus.read_since("j", 0)
    assert [e.data["status"] for e in history.events] == ["failed"]


async def test_concurrent_publishers_append_a_triple_once(bus: EventBus) -> None:
    await bus.register_job("race", "alice", "chat")
    results = await asyncio.gather(
        *(bus.publish_progress("race", "answer", "completed", progress=90) for _ in range(40)),
        *(bus.publish_progress("race", f"s{i}", "started") for i in range(20)),
        *(bus.publish_token("race", "t", node="answer") for _ in range(20)),
    )
    assert sum(1 for r in results[:40] if r is not None) == 1
    history = await bus.read_since("race", 0)
    assert [e.seq for e in history.events] == list(range(1, 42))


# ------------------------------------------------------------------ state


async def test_state_only_moves_forward(bus: EventBus) -> None:
    await bus.register_job("j", "alice", "scan")
    assert await bus.latest_state("j") is None
    await bus.publish_progress("j", "vision", "started", progress=10)
    await bus.publish_progress("j", "vision", "completed", progress=40)
    await bus.publish_token("j", "tokens never move the state", node="answer")

    async def at(stage: str, status: str) -> bool:
        state = await bus.latest_state("j")
        return state is not None and (state.stage, state.status) == (stage, status)

    await _eventually(lambda: at("vision", "completed"))
    await bus.publish_progress("j", "vision", "started")  # a redelivery: dropped, state stays
    await bus.publish_progress("j", "done", "completed", result={"ok": True})
    await _eventually(lambda: at("done", "completed"))
    await bus.publish_progress("j", "reward", "completed")  # a straggler after the end
    await asyncio.sleep(0.2)
    state = await bus.latest_state("j")
    assert state is not None and state.terminal
    assert state.seq == 4 and state.progress == 100
    assert state.data["result"] == {"ok": True}


# ------------------------------------------------------------------ retention and resume


async def test_resume_after_any_id_returns_exactly_the_suffix(bus: EventBus) -> None:
    await bus.register_job("j", "alice", "chat")
    await bus.publish_progress("j", "answer", "started", progress=50)
    for i in range(30):
        await bus.publish_token("j", f"{i},", node="answer")
    await bus.publish_progress("j", "done", "completed")
    everything = (await bus.read_since("j", 0)).events
    assert len(everything) == 32
    for k in range(33):
        history = await bus.read_since("j", k)
        assert not history.trimmed
        assert history.events == everything[k:]
    paged = await bus.read_since("j", 10, limit=5)
    assert [e.seq for e in paged.events] == [11, 12, 13, 14, 15]


async def test_trimmed_history_is_flagged_and_the_snapshot_stays_whole(
    make_bus: BusFactory,
) -> None:
    bus = await make_bus(BusLimits(history_maxlen=50))
    await bus.register_job("long", "alice", "chat")
    await bus.publish_progress("long", "answer", "started", progress=50)
    text = [f"토큰{i} " for i in range(400)]
    for piece in text:
        await bus.publish_token("long", piece, node="answer")
    history = await bus.read_since("long", 0)
    assert history.trimmed
    seqs = [e.seq for e in history.events]
    assert seqs == list(range(seqs[0], 402)) and seqs[0] > 1  # a contiguous suffix
    snapshot = await bus.token_snapshot("long")
    assert snapshot is not None
    assert snapshot.accumulated == "".join(text)
    assert snapshot.last_seq == 401 and not snapshot.completed
    # A client that saw everything up to the kept window is not told anything was lost.
    assert not (await bus.read_since("long", seqs[0] - 1)).trimmed
    assert not (await bus.read_since("long", 401)).trimmed
    await bus.publish_progress("long", "done", "completed")
    snapshot = await bus.token_snapshot("long")
    assert snapshot is not None and snapshot.completed and snapshot.last_seq == 401


async def test_every_per_job_record_expires(make_bus: BusFactory) -> None:
    bus = await make_bus(BusLimits(ttl_s=1, terminal_ttl_s=1))
    await bus.register_job("short", "alice", "chat")
    await bus.publish_progress("short", "answer", "started")
    await bus.publish_token("short", "x", node="answer")
    await asyncio.sleep(1.3)
    assert await bus.owner_of("short") is None
    assert await bus.read_since("short", 0) == (await bus.read_since("never", 0))
    assert await bus.token_snapshot("short") is None
    assert await bus.latest_state("short") is None


# ------------------------------------------------------------------ owners


async def test_owner_registration(bus: EventBus) -> None:
    assert await bus.owner_of("j") is None
    await bus.register_job("j", "alice", "scan")
    await bus.register_job("j", "alice", "scan")  # a redelivered registration is fine
    assert await bus.owner_of("j") == "alice"
    with pytest.raises(JobOwnerConflict):
        await bus.register_job("j", "mallory", "scan")
    assert await bus.owner_of("j") == "alice"
    with pytest.raises(JobNotRegistered):
        await bus.publish_progress("nobody", "queued", "started")
    with pytest.raises(JobNotRegistered):
        await bus.publish_token("nobody", "x", node="n")
    unknown = await bus.read_since("nobody", 0)
    assert unknown.events == [] and not unknown.trimmed


@pytest.mark.parametrize(
    ("stage", "status"),
    [("token", "started"), ("keepalive", "started"), ("", "started"), ("vision", "done")],
)
async def test_stage_names_and_statuses_are_checked(bus: EventBus, stage: str, status: str) -> None:
    await bus.register_job("j", "alice", "chat")
    with pytest.raises(ValueError):
        await bus.publish_progress("j", stage, status)  # type: ignore[arg-type]
    assert (await bus.read_since("j", 0)).events == []


# ------------------------------------------------------------------ live


async def test_live_feed_carries_every_job_in_order(bus: EventBus) -> None:
    feed = bus.live()
    seen: list[StreamEvent] = []

    async def collect() -> None:
        async for event in feed:
            seen.append(event)

    task = asyncio.create_task(collect())
    try:
        await bus.register_job("warmup", "alice", "chat")
        n = 0
        while not seen:  # the feed may subscribe asynchronously: wait until it hears
            n += 1
            await bus.publish_progress("warmup", f"w{n}", "started")
            await asyncio.sleep(0.05)
        jobs = [f"job{i}" for i in range(8)]  # spread over every shard
        for job in jobs:
            await bus.register_job(job, "alice", "chat")
        for i in range(20):
            for job in jobs:
                await bus.publish_token(job, str(i), node="answer")
        for job in jobs:
            await bus.publish_progress(job, "done", "completed")

        def complete() -> bool:
            return sum(1 for e in seen if e.event == "done") == len(jobs)

        await _eventually(lambda: asyncio.sleep(0, complete()))
        for job in jobs:
            mine = [e for e in seen if e.job_id == job]
            assert [e.seq for e in mine] == list(range(1, 22))
            assert mine == (await bus.read_since(job, 0)).events
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
