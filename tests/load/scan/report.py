"""The scan bench's figures: outcomes, throughput against the ceiling, latency, processes."""

from __future__ import annotations

import os
import platform
import socket
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.load.scan.chaos import ChaosLog
from tests.load.scan.checks import DbCheck
from tests.load.scan.metrics import Sampler

# http-api.md / domain.md: the original system, 24 nodes, real LLMs (quoted, not measured)
REFERENCE = (
    (500, "100 %", "367.9", "83.3 s"),
    (900, "99.7 %", "405.5", "149.6 s"),
    (1000, "97.8 %", "373", "173 s"),
)
LOAD_ROWS = ("load drivers", "bench (this)")  # what generates and watches the load
TARGET = "target at N=1000: 100 % completed and >= 90 % of the ceiling"


@dataclass
class RunResult:
    users: int
    duration_s: float
    latency_s: float  # the fake LLM's vision + answer latency: one job's floor
    go: float
    stop_at: float
    jobs: list[dict[str, Any]]
    counters: dict[str, Any]
    cut_at_drain: int
    missing: list[str]
    login_s: float
    login_errors: dict[str, int]
    open_files: int
    llm_counts: dict[str, int]
    sampler: Sampler
    db: DbCheck
    chaos: ChaosLog | None = None
    notes: list[str] = field(default_factory=list)


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    ram = psutil.virtual_memory().total / 2**30
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{socket.gethostname()}: {model}, {os.cpu_count()} cores, RAM {ram:.1f} GiB, "
        f"kernel {platform.release()}, {platform.python_implementation()} "
        f"{platform.python_version()}, load average {load}"
    )


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _outcomes(jobs: list[dict[str, Any]]) -> Counter[str]:
    return Counter(job["outcome"] or "cut at drain" for job in jobs)


def closed_loop_rate(r: RunResult) -> float:
    """The users' own rates summed: each user's completed jobs over the time from the start to
    the end of its last cycle that ended in the window. Shown beside jobs/min, not as it: it
    leaves out every user's unfinished last cycle, so when cycles are long against the window
    (overload) it overstates the rate the mesh sustained, beyond what its CPU per job allows."""
    by_user: dict[int, list[dict[str, Any]]] = {}
    for job in r.jobs:
        if job["outcome"] and job["finished_at"] < r.stop_at:
            by_user.setdefault(job["vu"], []).append(job)
    rate = 0.0
    for jobs in by_user.values():
        span = max(j["finished_at"] for j in jobs) - r.go
        completed = sum(1 for j in jobs if j["outcome"] == "completed")
        rate += completed / span if span > 0 else 0.0
    return 60 * rate


def summary(r: RunResult) -> dict[str, Any]:
    """The headline numbers (also what --json writes)."""
    started = [j for j in r.jobs if j["job_id"]]
    done = [j for j in started if j["outcome"] == "completed"]
    failed = [j for j in started if j["outcome"] == "failed"]
    in_window = [j for j in done if r.go <= j["finished_at"] < r.stop_at]
    ceiling = r.users * 60 / 11
    e2e = [j["finished_at"] - j["submitted_at"] for j in done]
    # the jobs the processes' CPU per job divides by, over the same window: rate x CPU per job
    # is the CPU the mesh used
    per_min = len(in_window) / (r.duration_s / 60)
    return {
        "users": r.users,
        "started": len(started),
        "completed": len(done),
        "failed": len(failed),
        "completed_pct": 100 * len(done) / len(started) if started else 0.0,
        "jobs_per_min": per_min,
        "jobs_per_min_closed_loop": closed_loop_rate(r),
        "ceiling_per_min": ceiling,
        "ceiling_ratio": per_min / ceiling,
        "e2e_p50_s": pct(e2e, 0.50),
        "e2e_p95_s": pct(e2e, 0.95),
        "e2e_p99_s": pct(e2e, 0.99),
        "e2e_max_s": max(e2e, default=float("nan")),
        "submit_ms_p50": pct([j["submit_ms"] for j in started], 0.50),
        "submit_ms_p95": pct([j["submit_ms"] for j in started], 0.95),
    }


def render(r: RunResult) -> str:
    s = summary(r)
    out = [
        f"\n== N = {r.users} virtual users, {r.duration_s:.0f} s "
        f"(logins {r.login_s:.1f} s before; open files {r.open_files})"
    ]
    out.append(
        f"jobs started {s['started']}, completed {s['completed']} "
        f"({s['completed_pct']:.1f} %), failed {s['failed']}"
    )
    others = {k: v for k, v in _outcomes(r.jobs).items() if k not in ("completed", "failed")}
    if others:
        out.append(f"  not completed: {dict(others)}")
    out.append(
        f"jobs/min {s['jobs_per_min']:.1f} (completed in the window / window; the users' "
        f"closed-loop rates summed, which leave out their unfinished last cycles: "
        f"{s['jobs_per_min_closed_loop']:.1f}); ceiling "
        f"N x 60 / 11 s = {s['ceiling_per_min']:.0f} -> {100 * s['ceiling_ratio']:.1f} % "
        f"of it (the fake LLM alone takes {r.latency_s:.0f} s per job)"
    )
    out.append(
        f"end to end (submit -> result fetched): p50 {s['e2e_p50_s']:.1f} s, "
        f"p95 {s['e2e_p95_s']:.1f} s, p99 {s['e2e_p99_s']:.1f} s, "
        f"max {s['e2e_max_s']:.1f} s; POST /scan p50 {s['submit_ms_p50']:.0f} ms, "
        f"p95 {s['submit_ms_p95']:.0f} ms"
    )
    c = r.counters
    fallbacks = sum(1 for j in r.jobs if j["stream_fallback"])
    out.append(
        f"client: stream fallbacks to polling {fallbacks}, refreshes {c['refreshes']}, "
        f"re-logins {c['relogins']}, results not stored at done "
        f"{c['not_stored_at_done']}, shape errors {c['shape_errors'] or 0}, "
        f"cut at drain {r.cut_at_drain}, login errors {r.login_errors or 0}"
    )
    jobs = max(1, s["started"])
    calls = ", ".join(f"{k} {v} ({v / jobs:.2f}/job)" for k, v in sorted(r.llm_counts.items()))
    out.append(f"LLM calls at the fake: {calls or 'none'}")
    out += _db_lines(r)
    out += _chaos_lines(r)
    in_window = sum(
        1 for j in r.jobs if j["outcome"] == "completed" and r.go <= j["finished_at"] < r.stop_at
    )
    out += _process_lines(r.sampler, in_window, s["ceiling_per_min"])
    out += [f"note: {n}" for n in r.notes]
    return "\n".join(out)


def _db_lines(r: RunResult) -> list[str]:
    d = r.db
    lines = [
        f"database: scan_jobs by status {d.jobs_by_status}; character ownership: "
        f"{d.duplicate_ownerships} duplicate (user, character) rows, "
        f"{d.rewarded_pairs} distinct rewards vs {d.scan_grants} scan grants "
        f"(missing {d.missing_grants}, extra {d.extra_grants}) -> "
        f"{'ok' if d.ok else 'NOT OK'}"
    ]
    lines += [f"  LLM usage (the client's records) {line}" for line in d.llm]
    return lines + [f"  {n}" for n in d.notes]


def _chaos_lines(r: RunResult) -> list[str]:
    if r.chaos is None:
        return []
    lines = ["chaos: " + "; ".join(f"{t:.0f} s {what}" for t, what in r.chaos.actions)]
    lines += [f"  chaos error: {e}" for e in r.chaos.errors]
    verdict = (
        "every submitted job has a stored result"
        if not r.missing
        else (f"{len(r.missing)} jobs WITHOUT a stored result: {r.missing[:5]}")
    )
    return [*lines, f"chaos check: {verdict}"]


def process_table(sampler: Sampler, count: int, unit: str) -> tuple[list[str], float]:
    """CPU and memory per process over the sampler's window, with the CPU per `unit` (`count`
    of them completed in it); also returns the CPU seconds of every row summed."""
    cores = os.cpu_count() or 1
    lines = [
        f"processes over the {sampler.wall_s:.0f} s window (CPU % of one core; "
        f"{cores} cores = {100 * cores} %; ms per {unit} = CPU / {count} {unit}s completed "
        f"in it):",
        f"  {'process':28} {'pids':>5} {'CPU %':>7} {'CPU s':>8} {'ms/' + unit:>8} {'peak MiB':>9}",
    ]
    total = 0.0
    for name, usage in sampler.usage.items():
        total += usage.cpu_s
        lines.append(
            f"  {name:28} {len(usage.pids):5d} {sampler.percent(name):7.1f} "
            f"{usage.cpu_s:8.1f} {_ms(usage.cpu_s, count):>8} {usage.peak_rss_mib:9.0f}"
        )
    other = 100 * sampler.other_cpu_s / sampler.wall_s if sampler.wall_s else 0.0
    share = 100 * total / max(sampler.wall_s, 1e-9)
    lines.append(
        f"  {'everything above':28} {'':5} {share:7.1f} {total:8.1f} {_ms(total, count):>8}"
    )
    lines.append(f"  {'other processes (not ours)':28} {'':5} {other:7.1f}")
    return lines, total


def _process_lines(sampler: Sampler, jobs: int, ceiling: float) -> list[str]:
    """CPU and memory per process, CPU per job (the jobs completed in the window), and what
    that cost per job allows on this machine's cores at best."""
    cores = os.cpu_count() or 1
    per = max(jobs, 1)
    lines, total = process_table(sampler, jobs, "job")
    load = sum(u.cpu_s for n, u in sampler.usage.items() if n in LOAD_ROWS)
    mesh = total - load
    if jobs and mesh > 0:
        cap = 60 * cores * per / mesh
        lines.append(
            f"the mesh and its servers (all but {' and '.join(LOAD_ROWS)}) spent "
            f"{1e3 * mesh / per:.0f} ms of CPU per job: {cores} cores alone would finish at most "
            f"~{cap:.0f} jobs/min ({100 * cap / ceiling:.0f} % of this N's ceiling)"
        )
    return lines


def _ms(cpu_s: float, jobs: int) -> str:
    return f"{1e3 * cpu_s / jobs:.1f}" if jobs else "-"


def reference() -> str:
    rows = "; ".join(
        f"N={n}: {done} completed, {rate} jobs/min, p95 {p95}" for n, done, rate, p95 in REFERENCE
    )
    return (
        f"reference, the original (24 nodes, real LLMs; quoted, not measured): {rows} "
        f"-> at N=1000 97.8 % completed and 7 % of the ceiling. {TARGET}."
    )
