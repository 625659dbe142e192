"""Memory and CPU footprint of each function process as Knative would run it, alone.

The capacity model (docs/capacity.md) needs, per function, what one replica costs at rest and
per request. The scan and chat benches measure the event workers' CPU per job inside the whole
path; they say nothing about each HTTP function's own process, its idle memory, or what a
replica weighs once it has served traffic. This starts every declared function with its
deployed command (the manifest generator's, as startup_bench does) on a loopback port, alone,
in the embedded mode (no servers: the figures are the function process's own, without the
PostgreSQL/Redis drivers' share), and per function records:

- `ready ms`: spawn → first 200 from /health (the import-to-ready part of a cold start);
- `idle MiB`: VmRSS once ready;
- `load MiB` / `peak MiB`: VmRSS and VmHWM after `--seconds` of a closed loop of `--clients`
  requests (HTTP functions: one representative read each; mesh-canary: CloudEvent deliveries
  in binary mode, the event host's own cost per delivery);
- `cpu ms/req`: the process's utime + stime over the load ÷ requests answered.

    uv run python -m tests.load.footprint_bench --quick      # 2 s of load each, ~1.5 min
    uv run python -m tests.load.footprint_bench --seconds 10 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from functions.kit.bootstrap import build_registry
from functions.kit.declare import Function
from tests.load.startup_bench import ROOT, _command, _port

USER = {"x-user-id": "footprint-user"}
# One representative request per function: (method, path, JSON body). Absent: idle only.
PROBES: dict[str, tuple[str, str, dict[str, str] | None]] = {
    "auth-api": ("GET", "/api/v1/auth/.well-known/jwks.json", None),
    "auth-revocations": ("GET", "/internal/auth/revocations", None),
    "character-api": ("GET", "/api/v1/users/me/characters", None),
    "chat-api": ("GET", "/api/v1/chat", None),
    "images-api": ("POST", "/api/v1/images/scan", {"content_type": "image/jpeg"}),
    "images-media": ("GET", "/media/scan/none.jpg", None),
    "info-api": ("GET", "/api/v1/info/news?limit=10", None),
    "location-api": ("GET", "/api/v1/locations/centers?lat=37.5665&lon=126.978&zoom=15", None),
    "scan-api": ("GET", "/api/v1/scan/categories", None),
    "users-api": ("GET", "/api/v1/users/me", None),
}
CANARY = "mesh-canary"


@dataclass
class Row:
    function: str
    kind: str
    ready_ms: float
    idle_mib: float
    load_mib: float | None = None
    peak_mib: float | None = None
    requests: int = 0
    cpu_ms_per_req: float | None = None
    statuses: str = ""


def _status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM in MiB from /proc (the kernel's own accounting, no sampling)."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _delivery() -> tuple[dict[str, str], bytes]:
    headers = {
        "ce-specversion": "1.0",
        "ce-type": "kr.eco2.mesh.canary.requested.v1",
        "ce-source": "/footprint-bench",
        "ce-id": str(uuid.uuid4()),
        "content-type": "application/json",
    }
    body = {"probe_id": str(uuid.uuid4()), "sent_at": datetime.now(UTC).isoformat()}
    return headers, json.dumps(body).encode()


async def _one(http: httpx.AsyncClient, name: str) -> int:
    if name == CANARY:
        headers, body = _delivery()
        return (await http.post("/", headers=headers, content=body)).status_code
    method, path, payload = PROBES[name]
    return (await http.request(method, path, headers=USER, json=payload)).status_code


async def _load(port: int, name: str, clients: int, seconds: float) -> tuple[int, dict[int, int]]:
    """A closed loop of `clients` for `seconds`; returns answers and their status counts."""
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as http:

        async def client() -> None:
            while time.monotonic() < deadline:
                code = await _one(http, name)
                statuses[code] = statuses.get(code, 0) + 1

        await asyncio.gather(*(client() for _ in range(clients)))
    return sum(statuses.values()), statuses


async def _ready(port: int, started: float) -> float:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        for _ in range(3000):  # bounded: 30 s at most
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/health")).status_code == 200:
                    return (time.perf_counter() - started) * 1000
            await asyncio.sleep(0.01)
    raise RuntimeError("never became ready")


async def measure(fn: Function, clients: int, seconds: float) -> Row:
    port = _port()
    env = {**os.environ, "ECO2_FUNCTION": fn.name, "ECO2_DOMAIN": fn.domain}
    env["ECO2_MODE"] = "embedded"
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *_command(fn, port), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        row = Row(fn.name, fn.kind.value, await _ready(port, started), 0.0)
        row.idle_mib = _status(proc.pid)["VmRSS"]
        if fn.name in PROBES or fn.name == CANARY:
            await _load(port, fn.name, 1, 0.3)  # first-request imports and caches, unmeasured
            cpu0 = _cpu_s(proc.pid)
            row.requests, statuses = await _load(port, fn.name, clients, seconds)
            spent = _cpu_s(proc.pid) - cpu0
            mem = _status(proc.pid)
            row.load_mib, row.peak_mib = mem["VmRSS"], mem["VmHWM"]
            row.cpu_ms_per_req = spent * 1000 / max(row.requests, 1)
            row.statuses = " ".join(f"{k}:{v}" for k, v in sorted(statuses.items()))
        return row
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


def _machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), "?",
    )  # fmt: skip
    mem = Path("/proc/meminfo").read_text().split()[1]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    ram = f"RAM {int(mem) / 2**20:.1f} GiB"
    return (f"machine: {platform.node()}, nproc {os.cpu_count()}, {model}, {ram}, "
            f"Python {platform.python_version()}, load {load}")  # fmt: skip


def _print(rows: list[Row]) -> None:
    print(f"{'function':20} {'kind':5} {'ready ms':>8} {'idle MiB':>8} {'load MiB':>8} "
          f"{'peak MiB':>8} {'reqs':>6} {'cpu ms/req':>10}  statuses")  # fmt: skip
    for r in rows:
        load = f"{r.load_mib:8.1f} {r.peak_mib:8.1f}" if r.load_mib else f"{'-':>8} {'-':>8}"
        cpu = f"{r.cpu_ms_per_req:10.2f}" if r.cpu_ms_per_req is not None else f"{'-':>10}"
        print(f"{r.function:20} {r.kind:5} {r.ready_ms:8.0f} {r.idle_mib:8.1f} {load} "
              f"{r.requests:6d} {cpu}  {r.statuses}")  # fmt: skip


async def main(args: argparse.Namespace) -> list[Row]:
    print(_machine())
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; embedded mode, one process per "
          f"function, {args.clients} clients x {args.seconds} s each\n")  # fmt: skip
    rows = [await measure(fn, args.clients, args.seconds) for fn in build_registry()]
    _print(rows)
    print(f"\nfinished {datetime.now(UTC):%H:%M} UTC, load {os.getloadavg()[0]:.2f}")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 s of load per function")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--json", default="")
    parsed = parser.parse_args()
    if parsed.quick:
        parsed.seconds = 2.0
    measured = asyncio.run(main(parsed))
    if parsed.json:
        Path(parsed.json).write_text(json.dumps([asdict(r) for r in measured], indent=1))
