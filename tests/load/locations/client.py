"""A lean HTTP/1.1 load client: N keep-alive connections, one request in flight on each.

Hand-written on asyncio streams so the client costs little CPU next to the server on a
2-core machine (httpx would need about as much CPU as the server it measures). Rows are
counted as `"id":` occurrences in the body (every entry has one), not by parsing JSON.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from functions.location.loaders.synthetic import CITIES, LAT_BOX, LON_BOX
from functions.location.model import PICKUP_CATEGORIES

BENCH_USER = "bench"  # the identity the edge would inject (the edge itself is not in the path)


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)  # completed in the window
    steady_ms: list[float] = field(default_factory=list)  # ...and also started in it
    rows: int = 0
    errors: int = 0


def query_paths(seed: int) -> Callable[[], str]:
    """Random map views: mostly around the cities (where people are), any zoom 1..20, a
    quarter of them with a pickup-category filter."""
    rng = random.Random(seed)
    weights = [w for _, _, w in CITIES]

    def next_path() -> str:
        if rng.random() < 0.2:
            lat, lon = rng.uniform(*LAT_BOX), rng.uniform(*LON_BOX)
        else:
            clat, clon, _ = rng.choices(CITIES, weights)[0]
            lat, lon = rng.gauss(clat, 0.09), rng.gauss(clon, 0.11)
        params: dict[str, object] = {"lat": f"{lat:.5f}", "lon": f"{lon:.5f}",
                                     "zoom": rng.randint(1, 20)}  # fmt: skip
        if rng.random() < 0.25:
            params["pickup_category"] = rng.choice(PICKUP_CATEGORIES)
        return "/api/v1/locations/centers?" + urlencode(params)

    return next_path


async def _one(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
) -> tuple[int, bytes]:
    writer.write(f"GET {path} HTTP/1.1\r\nhost: bench\r\nx-user-id: {BENCH_USER}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def run_clients(port: int, clients: int, seconds: float, warmup: float,
                      seed: int) -> tuple[Tally, int, float]:  # fmt: skip
    """Closed loop for warmup + seconds; what completed inside the measured window, how many
    requests were still in flight when it closed, and the window's length."""
    tally = Tally()
    next_path = query_paths(seed)
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    in_flight = 0

    async def client() -> None:
        nonlocal in_flight
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                in_flight += 1
                try:
                    status, body = await _one(reader, writer, next_path())
                finally:
                    in_flight -= 1
                t1 = time.perf_counter()
                if measure_from <= t1 <= stop_at:  # completed in the window
                    tally.latencies_ms.append((t1 - t0) * 1000)
                    if t0 >= measure_from:  # not queued behind the start-up burst
                        tally.steady_ms.append((t1 - t0) * 1000)
                    tally.rows += body.count(b'"id":')
                    tally.errors += status != 200
        finally:
            writer.close()

    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
    unfinished = in_flight
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return tally, unfinished, seconds
