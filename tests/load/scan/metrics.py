"""CPU and peak RSS of every process of the run, sampled with psutil once a second.

Memory is the peak of the row's summed RSS, or PSS for the rows named in `pss` (PostgreSQL's
backends all map the shared buffers: their RSS summed counts them once per backend).
A row is a name and the pids it covers right now (a worker restarted by --chaos gets a new
pid under the same name; PostgreSQL backends come and go). CPU is user + system seconds
accumulated in the window: a pid first seen after the window opened counts from zero, a pid
that died counts until its last sample. `other` is the machine's busy time minus every row:
processes outside the run (on a shared machine, other people's builds and tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

Rows = Callable[[], dict[str, list[int]]]  # row name -> pids now


@dataclass
class Usage:
    cpu_s: float = 0.0
    peak_rss_mib: float = 0.0  # the row's pids summed, at the sample where that sum peaked
    pids: set[int] = field(default_factory=set)


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def _busy() -> float:
    """Machine-wide busy CPU seconds (all cores; idle and iowait excluded)."""
    t = psutil.cpu_times()
    return float(
        t.user
        + t.nice
        + t.system
        + getattr(t, "irq", 0)
        + getattr(t, "softirq", 0)
        + getattr(t, "steal", 0)
    )


class Sampler:
    def __init__(
        self, rows: Rows, interval_s: float = 1.0, pss: frozenset[str] = frozenset()
    ) -> None:
        self._rows = rows
        self._pss = pss  # rows whose memory is PSS (shared pages split among their sharers)
        self._interval_s = interval_s
        self._procs: dict[int, psutil.Process] = {}
        self._base: dict[int, float] = {}  # cpu at the window's start (0 for later pids)
        self._last: dict[int, float] = {}
        self.usage: dict[str, Usage] = {}
        self._t0 = 0.0
        self._busy0 = 0.0
        self.wall_s = 0.0
        self.other_cpu_s = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._t0, self._busy0 = time.monotonic(), _busy()
        self._sample(opening=True)
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            self._sample()

    def _sample(self, opening: bool = False) -> None:
        for name, pids in self._rows().items():
            usage = self.usage.setdefault(name, Usage())
            rss = 0.0
            for pid in pids:
                proc = self._proc(pid)
                if proc is None:
                    continue
                try:
                    with proc.oneshot():
                        cpu = _cpu(proc)
                        pss = name in self._pss
                        mem = proc.memory_full_info().pss if pss else proc.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    continue
                if pid not in self._base:
                    self._base[pid] = cpu if opening else 0.0
                self._last[pid] = cpu
                usage.pids.add(pid)
                rss += mem / 2**20
            usage.peak_rss_mib = max(usage.peak_rss_mib, rss)

    def _proc(self, pid: int) -> psutil.Process | None:
        if pid not in self._procs:
            try:
                self._procs[pid] = psutil.Process(pid)
            except psutil.Error:
                return None
        return self._procs[pid]

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._sample()
        self.wall_s = time.monotonic() - self._t0
        ours = 0.0
        for usage in self.usage.values():
            usage.cpu_s = sum(self._last[p] - self._base[p] for p in usage.pids)
            ours += usage.cpu_s
        self.other_cpu_s = max(0.0, _busy() - self._busy0 - ours)

    def percent(self, name: str) -> float:
        """CPU % of one core over the window (200 % = both cores of a 2-core machine)."""
        return 100 * self.usage[name].cpu_s / self.wall_s if self.wall_s else 0.0


def pids_named(*names: str) -> list[int]:
    """Processes whose name is one of `names` (the servers: beam.smp, redis-server, postgres)."""
    found = []
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] in names:
            found.append(proc.pid)
    return found
