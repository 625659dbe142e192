"""The load benches' bookkeeping: CPU and memory are divided by what was counted over the same
interval, and the bench's own processes are never reported as someone else's load."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from types import SimpleNamespace
from typing import Any, cast

from tests.load import broker_bench
from tests.load.broker_bench import Interference, ProcTicks, _used_between
from tests.load.scan import report as scan_report
from tests.load.sse import report as sse_report

BENCH, WORKER, RABBIT = 100, 200, 50


def test_a_worker_started_and_reaped_within_the_window_is_the_bench_s_own_cpu() -> None:
    before = {
        BENCH: ProcTicks("python", 1, ticks=500, reaped=0),
        RABBIT: ProcTicks("beam.smp", 1, ticks=1_000, reaped=0),
    }
    # the worker ran 300 ticks and exited; the bench waited for it, so the kernel moved its
    # time into the bench's children's time
    after = {
        BENCH: ProcTicks("python", 1, ticks=600, reaped=300),
        RABBIT: ProcTicks("beam.smp", 1, ticks=1_100, reaped=0),
    }
    assert _used_between(before, after) == 100 + 300 + 100


def test_a_process_alive_at_the_start_and_gone_at_the_end_counts_only_its_window() -> None:
    before = {
        BENCH: ProcTicks("python", 1, ticks=500, reaped=0),
        WORKER: ProcTicks("python", BENCH, ticks=40, reaped=0),
    }
    after = {BENCH: ProcTicks("python", 1, ticks=510, reaped=40 + 60)}  # 60 more, then exited
    assert _used_between(before, after) == 10 + 60


def test_interference_counts_a_child_that_ran_and_exited_in_the_window() -> None:
    interference = Interference()
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass"
    child = subprocess.run([sys.executable, "-c", burn], check=True)
    assert child.returncode == 0
    assert interference.bench_seconds() >= 0.25


def test_the_proc_stat_line_is_read_after_the_command_name() -> None:
    stat = broker_bench._proc_stats()
    ours = stat[os.getpid()]
    assert ours.parent > 0
    assert ours.ticks >= 0
    assert ours.reaped >= 0


def _measured(**rss: float) -> SimpleNamespace:
    return SimpleNamespace(
        held=10_000,
        start_s=0.0,
        ramp_s=0.0,
        peak_rss=rss["held"],
        peak_conn=10_000.0,
        cpu_used=0.0,
        wall=1.0,
        publish_ns=0,
        published={"published": 1, "seconds": 1.0},
        others={"router": 0.0, "redis": 0.0},
        gateway={},
        probe_ms=[],
        rss_idle=rss["idle"],
        rss_base=rss["start"],
        rss_held=rss["held"],
    )


def test_sse_memory_per_connection_is_above_the_idle_gateway_in_every_phase() -> None:
    args = argparse.Namespace(clients=10_000, jobs=1_000, tokens=10)
    # the reconnect phase after a steady one: the gateway kept the 500 MiB its clients used
    reconnect = _measured(idle=100.0, start=600.0, held=610.0)
    summary = sse_report.summarize("reconnect", args, [], reconnect)
    assert summary["gateway RSS per connection KiB (held - idle)"] == 52.2
    assert summary["gateway RSS MiB idle / phase start / held / peak"] == "100 / 600 / 610 / 610"


def _job(vu: int, started: float, finished: float) -> dict[str, Any]:
    return {
        "vu": vu,
        "job_id": f"{vu}-{started}",
        "outcome": "completed",
        "started_at": started,
        "submitted_at": started,
        "finished_at": finished,
        "submit_ms": 1.0,
        "stream_fallback": False,
    }


def test_scan_jobs_per_min_counts_the_window_the_cpu_per_job_divides_by() -> None:
    # overload: 60 s cycles; at the end of the 180 s load each user's third cycle is in flight
    jobs = [_job(vu, start, start + 60) for vu in range(10) for start in (0, 60, 150)]
    run = SimpleNamespace(users=10, go=0.0, stop_at=180.0, duration_s=180.0, jobs=jobs)
    s = scan_report.summary(cast(Any, run))
    assert s["jobs_per_min"] == 20 / 3  # 20 completed in the 3 minutes of load
    assert s["ceiling_ratio"] == (20 / 3) / (10 * 60 / 11)
    # each user's 2 jobs over the 120 s to its last finish: the third cycle's 30 s left out
    assert s["jobs_per_min_closed_loop"] == 10.0
