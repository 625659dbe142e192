"""The progress helper stage functions use: stages, tokens, and a job that never ends silently."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from eventing.bus.memory import InMemoryEventBus
from eventing.bus.port import Status, StreamEvent
from functions.kit.bootstrap import build_container, build_registry
from functions.kit.errors import NotFoundError
from functions.kit.progress import Progress
from functions.kit.settings import Settings
from functions.kit.wiring import event_bus, start_event_router


@pytest.fixture
async def bus() -> InMemoryEventBus:
    memory = InMemoryEventBus()
    await memory.register_job("job", "alice", "chat")
    return memory


async def _timeline(bus: InMemoryEventBus) -> list[tuple[str, Any, Any]]:
    history = await bus.read_since("job", 0)
    return [(e.event, e.data.get("status"), e.data.get("progress")) for e in history.events]


async def test_a_stage_emits_started_then_completed_with_percentages(
    bus: InMemoryEventBus,
) -> None:
    progress = Progress(bus, "job")
    async with progress.stage("vision", start=10, end=40):
        token = await progress.token("안녕", node="vision")
    await progress.done(result={"answer": "끝"}, message="ok")
    assert await _timeline(bus) == [
        ("vision", "started", 10),
        ("token", None, None),
        ("vision", "completed", 40),
        ("done", "completed", 100),
    ]
    assert token.seq == 2 and token.data == {"content": "안녕", "seq": 2, "node": "vision"}
    state = await bus.latest_state("job")
    assert state is not None and state.terminal and state.data["result"] == {"answer": "끝"}


async def test_a_failing_stage_emits_failed_and_reraises(bus: InMemoryEventBus) -> None:
    progress = Progress(bus, "job")
    boom = RuntimeError("secret connection string in here")
    with pytest.raises(RuntimeError) as raised:
        async with progress.stage("rule", start=40, end=60):
            raise boom
    assert raised.value is boom
    history = (await bus.read_since("job", 0)).events
    assert [(e.event, e.data["status"]) for e in history] == [
        ("rule", "started"),
        ("rule", "failed"),
    ]
    assert history[1].data["message"] == "INTERNAL_ERROR"  # internals never reach the client


async def test_a_failure_always_ends_with_a_terminal_failed_done(bus: InMemoryEventBus) -> None:
    progress = Progress(bus, "job")
    with pytest.raises(NotFoundError):
        async with progress.job(), progress.stage("answer", start=60, end=90):
            raise NotFoundError("no rule for this item")
    events = (await bus.read_since("job", 0)).events
    assert [(e.event, e.data["status"]) for e in events] == [
        ("answer", "started"),
        ("answer", "failed"),
        ("done", "failed"),
    ]
    done = events[-1].data
    assert done["progress"] == 100 and done["message"] == "no rule for this item"
    state = await bus.latest_state("job")
    assert state is not None and state.terminal and state.status == "failed"
    # A job ends once: neither a late success nor a second failure adds a terminal event.
    assert await progress.done(result={"late": True}) is None
    assert await progress.fail("again") is None


async def test_fail_is_the_kits_terminal_helper(bus: InMemoryEventBus) -> None:
    progress = Progress(bus, "job")
    await progress.emit("queued", "completed", progress=5)
    event = await progress.fail(TimeoutError())
    assert event is not None
    assert (event.event, event.data["status"], event.data["message"]) == (
        "done",
        "failed",
        "TIMEOUT",
    )


async def test_a_redelivered_stage_emits_nothing_twice(bus: InMemoryEventBus) -> None:
    progress = Progress(bus, "job")
    with pytest.raises(ValueError):
        async with progress.stage("vision", start=10, end=40):
            raise ValueError("first attempt")
    async with progress.stage("vision", start=10, end=40):  # the broker's retry
        pass
    async with progress.stage("vision", start=10, end=40):  # a duplicate delivery
        pass
    await progress.done()
    await progress.done()
    assert await _timeline(bus) == [
        ("vision", "started", 10),
        ("vision", "failed", 10),
        ("vision", "completed", 40),
        ("done", "completed", 100),
    ]


class BrokenBus(InMemoryEventBus):
    """Publishing a failure fails too (Redis down): the original error must still surface."""

    async def publish_progress(
        self,
        job_id: str,
        stage: str,
        status: Status,
        *,
        progress: int | None = None,
        message: str | None = None,
        result: Mapping[str, Any] | None = None,
    ) -> StreamEvent | None:
        if status == "failed":
            raise ConnectionError("bus down")
        return await super().publish_progress(
            job_id, stage, status, progress=progress, message=message, result=result
        )


async def test_a_bus_failure_never_hides_the_original_error() -> None:
    bus = BrokenBus()
    await bus.register_job("job", "alice", "scan")
    progress = Progress(bus, "job")
    with pytest.raises(KeyError, match="original"):
        async with progress.job(), progress.stage("vision"):
            raise KeyError("original")


async def test_the_embedded_container_provides_one_memory_bus_and_no_router() -> None:
    settings = Settings(mode="embedded", bus_history_maxlen=7)
    container = build_container(settings, build_registry())
    try:
        first = await container.get("event_bus")
        assert isinstance(first, InMemoryEventBus)
        assert first.limits.history_maxlen == 7
        assert await container.get("event_bus") is first
        assert await event_bus(container) is not first  # the provider builds; get() shares
        assert await start_event_router(container) is None
    finally:
        await container.close()


async def test_a_stage_without_failures_leaves_them_to_the_dead_letter_path(
    bus: InMemoryEventBus,
) -> None:
    """A retried stage (`failures=False`) says nothing on a failed attempt; when the broker
    gives up, `fail(..., stage=)` reports that stage's failure and ends the job once."""
    progress = Progress(bus, "job")
    await progress.queued()
    with pytest.raises(ValueError):
        async with progress.stage("vision", start=10, end=40, failures=False):
            raise ValueError("attempt 1")
    await progress.fail("gave up", stage="vision")
    await progress.fail("gave up", stage="vision")  # a redelivered notice
    assert await _timeline(bus) == [
        ("queued", "completed", 0),
        ("vision", "started", 10),
        ("vision", "failed", 10),  # the bus keeps the stage's last percentage
        ("done", "failed", 100),
    ]


async def test_an_abandoned_stage_emits_no_completed(bus: InMemoryEventBus) -> None:
    progress = Progress(bus, "job")
    async with progress.stage("reward", start=90, end=95) as stage:
        stage.abandon()  # the job had ended another way meanwhile
    assert await _timeline(bus) == [("reward", "started", 90)]


def test_handlers_report_progress_only_through_the_helper() -> None:
    """No module but the helper itself emits raw stage events (`.emit(...)`)."""
    root = Path(__file__).resolve().parents[2] / "functions"
    helper = root / "kit" / "progress.py"
    raw = []
    for path in sorted(root.rglob("*.py")):
        if path == helper:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "emit"
            ):
                raw.append(f"{path.relative_to(root)}:{node.lineno}")
    assert raw == []
