"""A load-client process of the SSE benchmark: many subscribers on httpx + httpx-sse.

    python -m tests.load.sse.clients <config.json>     # started by tests/load/sse_bench.py

Each subscriber follows one job's stream until `done`. Token contents are `<index>@<publish
monotonic ns>;`, so a subscriber checks that it gets every index exactly once and in order
and measures publish→receipt latency (CLOCK_MONOTONIC is system-wide on Linux). With
`reconnect`, each subscriber also drops its connection at 1-3 random tokens and comes back
with `Last-Event-ID`, as EventSource does. Reports are JSON lines on stdout.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import aconnect_sse

SAMPLE = 20_000  # latencies kept per process (reservoir)


@dataclass
class Stats:
    connected: int = 0  # subscribers that got their first event
    frames: int = 0
    tokens: int = 0
    in_order: int = 0  # tokens whose index was exactly the next one
    duplicates: int = 0
    gaps: int = 0
    recoveries: int = 0
    done: int = 0
    reconnects: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    first_ns: int = 0
    last_ns: int = 0
    seen: int = 0  # latencies offered to the reservoir
    latencies_ms: list[float] = field(default_factory=list)
    resume_ms: list[float] = field(default_factory=list)  # a cut to the next frame
    headers_ms: list[float] = field(default_factory=list)  # request sent -> response headers

    def latency(self, ms: float, rng: random.Random) -> None:
        self.seen += 1
        if len(self.latencies_ms) < SAMPLE:
            self.latencies_ms.append(ms)
        else:
            slot = rng.randrange(self.seen)
            if slot < SAMPLE:
                self.latencies_ms[slot] = ms


class Subscriber:
    def __init__(self, cfg: dict[str, Any], job: str, index: int, stats: Stats) -> None:
        self.cfg, self.job, self.stats = cfg, job, stats
        self.rng = random.Random(cfg["seed"] * 1_000_003 + index)
        self.url = cfg["urls"][index % len(cfg["urls"])] + f"/api/v1/chat/{job}/events"
        self.next_index = 0
        self.last_id: int | None = None
        self.cuts: set[int] = set()
        if cfg["reconnect"]:
            self.cuts = {self.rng.randrange(cfg["tokens"]) for _ in range(self.rng.randint(1, 3))}
        self.connected = False
        self.finished = False
        self.cut_at = 0.0

    def on_token(self, content: str, now: int) -> bool:
        """Check the index, record latency; True when this is a planned disconnect point."""
        for piece in filter(None, content.split(";")):
            i, stamp = piece.split("@")
            index = int(i)
            if index == self.next_index:
                self.stats.in_order += 1
                self.next_index += 1
            elif index < self.next_index:
                self.stats.duplicates += 1
            else:
                self.stats.gaps += 1
                self.next_index = index + 1
            self.stats.latency((now - int(stamp)) / 1e6, self.rng)
        self.stats.tokens += 1
        return self.next_index - 1 in self.cuts

    def on_frame(self, event: str, data: str) -> bool:
        """Handle one frame; True to disconnect now (planned cut)."""
        now = time.monotonic_ns()
        s = self.stats
        s.frames += 1
        s.first_ns = s.first_ns or now
        s.last_ns = now
        if event == "token":
            cut = self.on_token(json.loads(data)["content"], now)
            if cut:
                self.cuts.discard(self.next_index - 1)
            return cut
        if event == "token_recovery":
            s.recoveries += 1
            text = json.loads(data)["accumulated"]
            self.next_index = text.count(";")
        elif event == "done":
            s.done += 1
            self.finished = True
        return False

    async def run(self, http: httpx.AsyncClient) -> None:
        while not self.finished:
            headers = {"x-user-id": self.cfg["user"]}
            if self.last_id is not None:
                headers["last-event-id"] = str(self.last_id)
            try:
                asked = time.monotonic()
                async with aconnect_sse(http, "GET", self.url, headers=headers) as source:
                    if len(self.stats.headers_ms) < SAMPLE:
                        self.stats.headers_ms.append((time.monotonic() - asked) * 1e3)
                    source.response.raise_for_status()
                    async for sse in source.aiter_sse():
                        if not self.connected:
                            self.connected = True
                            self.stats.connected += 1
                        if self.cut_at and len(self.stats.resume_ms) < SAMPLE:
                            self.stats.resume_ms.append((time.monotonic() - self.cut_at) * 1e3)
                            self.cut_at = 0.0
                        if sse.id:
                            self.last_id = int(sse.id)
                        if self.on_frame(sse.event, sse.data) or self.finished:
                            break
            except (httpx.HTTPError, OSError, ValueError) as exc:
                self.stats.errors += 1
                status = getattr(getattr(exc, "response", None), "status_code", None)
                kind = f"{type(exc).__name__}{f' {status}' if status else ''}"
                self.stats.error_kinds[kind] = self.stats.error_kinds.get(kind, 0) + 1
                await asyncio.sleep(0.5 + self.rng.random())
                continue
            if not self.finished:
                self.cut_at = time.monotonic()
                self.stats.reconnects += 1
                await asyncio.sleep(self.rng.random() * 0.2)


async def report(stats: Stats, stop: asyncio.Event) -> None:
    last = -1
    while not stop.is_set():
        if stats.connected != last:
            last = stats.connected
            print(json.dumps({"t": "connected", "n": last}), flush=True)
        await asyncio.sleep(0.5)


async def main(cfg: dict[str, Any]) -> None:
    stats = Stats()
    stop = asyncio.Event()
    reporter = asyncio.create_task(report(stats, stop))
    transport_kw = {"local_address": cfg["source_address"]} if cfg.get("source_address") else {}
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    per_pool = cfg.get("per_pool", 500)
    pools = [
        httpx.AsyncClient(
            timeout=httpx.Timeout(cfg["read_timeout_s"], connect=30),
            limits=limits,
            transport=httpx.AsyncHTTPTransport(limits=limits, **transport_kw),
        )
        for _ in range(max(1, (len(cfg["jobs"]) + per_pool - 1) // per_pool))
    ]
    subs = [Subscriber(cfg, job, i, stats) for i, job in enumerate(cfg["jobs"])]
    tasks = []
    for i, sub in enumerate(subs):  # ramp at `connect_rate` per second
        tasks.append(asyncio.create_task(sub.run(pools[i // per_pool])))
        await asyncio.sleep(1 / cfg["connect_rate"])
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), cfg["deadline_s"])
    except TimeoutError:
        stats.errors += sum(1 for s in subs if not s.finished)
    stop.set()
    await reporter
    for pool in pools:
        await pool.aclose()
    result = asdict(stats)
    result["unfinished"] = sum(1 for s in subs if not s.finished)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    print(json.dumps({"t": "result", **result}), flush=True)


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
