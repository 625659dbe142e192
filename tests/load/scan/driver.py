"""A load-driver process of the scan bench: many virtual users on one event loop.

    python -m tests.load.scan.driver <config.json>      # started by tests/load/scan_bench.py

Protocol (JSON lines): it logs every user in, prints `{"t": "ready", ...}`, reads one line
`{"stop_at": <monotonic s>, "drain_s": s, "settle_until": <monotonic s> | null}` on stdin,
runs the users' closed loops until `stop_at`, lets the jobs in flight finish within
`drain_s`, then (with `settle_until`, for --chaos) polls every unfinished job's result until
then, and prints `{"t": "result", ...}` with every job.
"""

from __future__ import annotations

import asyncio
import base64
import json
import resource
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from tests.load.scan.vu import VU, Failed


def _emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _login_all(vus: list[VU], concurrency: int) -> dict[str, int]:
    """Log everyone in, `concurrency` at a time (a thousand logins at once is a storm the
    client never makes); returns the errors by kind."""
    errors: dict[str, int] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(vu: VU) -> None:
        async with gate:
            for attempt in range(3):
                try:
                    await vu.login()
                    return
                except (Failed, httpx.HTTPError) as exc:
                    kind = exc.kind if isinstance(exc, Failed) else type(exc).__name__
                    if attempt == 2:
                        errors[kind] = errors.get(kind, 0) + 1
                    await asyncio.sleep(1)

    await asyncio.gather(*(one(vu) for vu in vus))
    return errors


async def _drain(tasks: list[asyncio.Task[None]], drain_s: float) -> int:
    """Wait for the cycles in flight; cancel what is still running after `drain_s`."""
    _, pending = await asyncio.wait(tasks, timeout=drain_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return len(pending)


async def main(cfg: dict[str, Any]) -> None:
    n = len(cfg["users"])
    limits = httpx.Limits(max_connections=2 * n + 20, max_keepalive_connections=2 * n + 20)
    transport = httpx.AsyncHTTPTransport(limits=limits)
    photo = base64.b64decode(cfg["photo_b64"])
    vus = [VU(i, name, transport, {**cfg, "photo": photo}) for i, name in cfg["users"]]
    login_started = time.monotonic()
    login_errors = await _login_all(vus, cfg["login_concurrency"])
    _emit(
        {
            "t": "ready",
            "users": n,
            "login_s": time.monotonic() - login_started,
            "login_errors": login_errors,
        }
    )
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    go = json.loads(line)
    tasks = [asyncio.create_task(vu.run(go["stop_at"])) for vu in vus]
    await asyncio.sleep(max(0.0, go["stop_at"] - time.monotonic()))
    cut = await _drain(tasks, go["drain_s"])
    missing: list[str] = []
    if go.get("settle_until"):
        for found in await asyncio.gather(*(vu.settle(go["settle_until"]) for vu in vus)):
            missing += found
    counters: dict[str, Any] = {
        "refreshes": 0,
        "relogins": 0,
        "not_stored_at_done": 0,
        "shape_errors": {},
    }
    for vu in vus:
        c = vu.counters
        counters["refreshes"] += c.refreshes
        counters["relogins"] += c.relogins
        counters["not_stored_at_done"] += c.not_stored_at_done
        for k, v in c.shape_errors.items():
            counters["shape_errors"][k] = counters["shape_errors"].get(k, 0) + v
    jobs = [asdict(job) for vu in vus for job in vu.jobs]
    _emit(
        {
            "t": "result",
            "jobs": jobs,
            "counters": counters,
            "cut_at_drain": cut,
            "missing": missing,
            "open_files": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        }
    )
    await transport.aclose()


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
