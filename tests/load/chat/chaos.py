"""--chaos for the chat bench: kill the agent workers mid-answer, then disturb RabbitMQ.

"Mid-answer" is observed, not timed: once a third of the conversations' answers have started
streaming at the fake LLM (the warm-up's not counted), every worker gets SIGKILL and is
started again; once the redelivered runs stream again, RabbitMQ restarts (`rabbit`:
`rabbitmqctl stop_app` + `start_app`, the shared server) or only this run's AMQP connections
are closed (`drop`).
The actions are the scan bench's (tests/load/scan/chaos.py); what must hold afterwards — one
assistant message per turn — is checked in PostgreSQL by the bench.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.load.scan.chaos import ChaosLog, _drop_connections, _kill_workers, _restart_rabbit
from tests.load.scan.namespace import Servers
from tests.load.scan.procs import Stack

POLL_S = 0.1


async def fake_stats(stack: Stack) -> dict[str, Any]:
    url = (stack.llm.ready_url or "").replace("/health", "/stats")
    async with httpx.AsyncClient(timeout=30) as http:
        found: dict[str, Any] = (await http.get(url)).json()
        return found


async def _until(stack: Stack, ok: Any, deadline: float) -> dict[str, Any]:
    while True:
        stats = await fake_stats(stack)
        if ok(stats) or time.monotonic() > deadline:
            return stats
        await asyncio.sleep(POLL_S)


async def run_chat_chaos(
    stack: Stack, servers: Servers, t0: float, n: int, *, rabbit: str, within_s: float
) -> ChaosLog:
    log = ChaosLog()
    deadline = time.monotonic() + within_s
    try:
        third = (await fake_stats(stack))["streams_started"] + max(1, n // 3)  # after warm-up
        seen = await _until(stack, lambda s: s["streams_started"] >= third, deadline)
        log.note(t0, f"{seen['streams_started']} answers started at the fake (warm-up "
                     f"included), {seen['streams_finished']} finished")  # fmt: skip
        await _kill_workers(stack, log, t0, down_s=1.0)
        before = seen["streams_started"]
        again = await _until(stack, lambda s: s["streams_started"] > before, deadline)
        log.note(t0, f"answers streaming again ({again['streams_started']} started)")
        if rabbit == "rabbit":
            await _restart_rabbit(stack, log, t0)
        elif rabbit == "drop":
            await _drop_connections(stack, servers, log, t0)
    except Exception as exc:  # reported, and the run goes on
        log.errors.append(f"{type(exc).__name__}: {exc}")
    return log
