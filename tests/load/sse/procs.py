"""Process plumbing for the SSE benchmark: spawn, probe, read /proc, stop — loopback only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import resource
import signal
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[3]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def raise_open_files() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (children inherit it); returns the new limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_mib(pid: int) -> float:
    """VmRSS from /proc (psutil is not installed)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def pids_named(name: str) -> list[int]:
    """Processes whose command name is `name` (e.g. the local redis-server), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{socket.gethostname()}: nproc {os.cpu_count()}, {model}, "
        f"RAM {mem_kb / 1024 / 1024:.1f} GiB, {platform.python_implementation()} "
        f"{platform.python_version()}, load average {load}"
    )


async def spawn(
    args: list[str], env: Mapping[str, str] | None = None
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=None,  # the bench's own stderr: a crash is visible
        limit=2**24,  # a client's final report is one long JSON line
    )


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


async def wait_ready(url: str, within_s: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url)).status_code == 200:
                    return
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"{url} not ready within {within_s}s")
            await asyncio.sleep(0.2)


async def stop(
    proc: asyncio.subprocess.Process, within_s: float = 15.0, sig: int = signal.SIGTERM
) -> None:
    """SIGTERM, then SIGKILL after `within_s`. (uvicorn re-raises SIGTERM once drained, so a
    gateway under cProfile must get SIGINT to write its profile.)"""
    if proc.returncode is not None:
        return
    proc.send_signal(sig)
    try:
        await asyncio.wait_for(proc.wait(), within_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()


@contextlib.asynccontextmanager
async def running(procs: list[asyncio.subprocess.Process]) -> AsyncIterator[None]:
    """Stop every process on the way out, whatever happened."""
    try:
        yield
    finally:
        await asyncio.gather(*(stop(p) for p in procs), return_exceptions=True)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def gateway_metrics(urls: list[str]) -> dict[str, float]:
    """Sum of every gateway's Prometheus series (name with labels -> value); empty when a
    saturated gateway does not answer in time (the sample is skipped, not the run)."""
    total: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=10) as http:
        for url in urls:
            try:
                text = (await http.get(f"{url}/metrics")).text
            except httpx.HTTPError:
                return {}
            for line in text.splitlines():
                if line and not line.startswith("#"):
                    name, value = line.rsplit(" ", 1)
                    total[name] = total.get(name, 0) + float(value)
    return total


class Clients:
    """The load-client processes of one phase and what they report."""

    def __init__(self, started: list[asyncio.subprocess.Process], workdir: Path) -> None:
        self.started = started  # everything the bench stops on its way out
        self.workdir = workdir
        self.procs: list[asyncio.subprocess.Process] = []
        self.connected: dict[int, int] = {}
        self.results: list[dict[str, Any]] = []
        self._readers: list[asyncio.Task[None]] = []

    async def start(self, cfgs: list[dict[str, Any]]) -> None:
        for k, cfg in enumerate(cfgs):
            path = self.workdir / f"clients-{k}.json"
            path.write_text(json.dumps(cfg))
            proc = await spawn(python("-m", "tests.load.sse.clients", str(path)))
            self.procs.append(proc)
            self.started.append(proc)
            self._readers.append(asyncio.create_task(self._read(k, proc)))

    async def _read(self, k: int, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        async for line in proc.stdout:
            msg = json.loads(line)
            if msg["t"] == "connected":
                self.connected[k] = msg["n"]
            elif msg["t"] == "result":
                self.results.append(msg)

    @property
    def held(self) -> int:
        return sum(self.connected.values())

    def alive(self) -> bool:
        return any(p.returncode is None for p in self.procs)

    async def finish(self) -> None:
        await asyncio.gather(*self._readers)
        await asyncio.gather(*(p.wait() for p in self.procs))
