"""The readers: N keep-alive HTTP/1.1 connections, each a closed loop of GETs, on bare asyncio
streams (httpx would spend more CPU per request than the route it measures, on the same two
cores). Latency is request written → body read, per request, in the measured window only."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

USER = "6f1c1b9e-8a3e-4f5e-9a51-2b8f0c0e9d11"  # the identity the edge would inject


@dataclass
class Result:
    count: int = 0
    latencies_ns: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    window_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.count / self.window_s if self.window_s else 0.0

    def pct_ms(self, q: float) -> float:
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6


async def _one(
    host: str, port: int, path: Callable[[], str], *, t0: float, t1: float, result: Result
) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        result.errors[f"connect: {type(exc).__name__}"] += 1
        return
    try:
        while time.monotonic() < t1:
            request = f"GET {path()} HTTP/1.1\r\nHost: {host}\r\nx-user-id: {USER}\r\n\r\n"
            start = time.perf_counter_ns()
            writer.write(request.encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            elapsed = time.perf_counter_ns() - start
            status = int(head[9:12])
            if t0 <= time.monotonic() < t1:
                if status == 200:
                    result.count += 1
                    result.latencies_ns.append(elapsed)
                else:
                    result.errors[f"HTTP {status}"] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        result.errors[type(exc).__name__] += 1
    finally:
        writer.close()


async def run_readers(
    host: str, port: int, readers: int, path: Callable[[], str], *, warmup_s: float, seconds: float
) -> Result:
    """`readers` connections for warmup + seconds; counts the last `seconds` only."""
    result = Result(window_s=seconds)
    now = time.monotonic()
    t0, t1 = now + warmup_s, now + warmup_s + seconds
    await asyncio.gather(
        *(_one(host, port, path, t0=t0, t1=t1, result=result) for _ in range(readers))
    )
    return result
