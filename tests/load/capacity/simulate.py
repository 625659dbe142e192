"""A day of Knative autoscaling for every function, at 10,000 and 100,000 daily users.

Per function and second, Poisson arrivals at the model's rate for that minute of the Korean
day (tests/load/capacity/model.py), through the KPA simulation (kpa.py) twice: with the
scaling the functions declare today and with the model's recommendation. Prints the tables
docs/capacity.md quotes and writes the plots to docs/capacity/.

    uv run python -m tests.load.capacity.simulate            # both sizes, ~1-2 min
    uv run python -m tests.load.capacity.simulate --users 10000 --no-plots
"""

from __future__ import annotations

import argparse
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.load.capacity import model
from tests.load.capacity.kpa import KpaConfig, Revision, Trace, simulate

DOCS = Path(__file__).parents[3] / "docs" / "capacity"
SHOWN = ("sse-gateway", "chat-agent", "scan-answer", "scan-api", "location-api", "auth-api")


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method below 30, a rounded normal above (enough for request counts)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def arrivals(p: model.Profile, users: int, curve: list[float], seed: int) -> list[int]:
    """Users' requests: Poisson per second at the minute's rate. Scheduled ones (a
    PingSource): exactly one every 60 / per_minute seconds."""
    rng = random.Random(f"{p.name}:{users}:{seed}")
    out = []
    for minute in range(1440):
        lam = p.per_user_day * users / 86400 * curve[minute]
        out.extend(poisson(rng, lam) for _ in range(60))
    if p.per_minute:
        period = round(60 / p.per_minute)
        for second in range(0, len(out), period):
            out[second] += 1
    return out


def revision(p: model.Profile, knobs: tuple[int, int, int, int], pod_s: float) -> Revision:
    min_scale, max_scale, target, cc = knobs
    return Revision(p.name, target, cc, min_scale, max_scale, p.latency_s,
                    pod_s + p.ready_ms / 1000, cpu_ms=p.cpu_ms)  # fmt: skip


@dataclass
class Day:
    users: int
    declared: dict[str, Trace]
    recommended: dict[str, Trace]
    recs: dict[str, model.Recommendation]
    pools: list[model.Pool]


def run_day(users: int, inputs: dict[str, Any], seed: int = 1) -> Day:
    profs, curve = model.profiles(inputs), model.diurnal(inputs)
    recs, pools = model.plan(users, inputs)
    pod_s, cfg = float(inputs["assumptions"]["pod_schedule_s"]), KpaConfig()
    declared, recommended = {}, {}
    for name, p in profs.items():
        load = arrivals(p, users, curve, seed)
        r = recs[name]
        mine = (r.min_scale, r.max_scale, r.target, r.container_concurrency)
        declared[name] = simulate(revision(p, p.declared, pod_s), load, cfg)
        recommended[name] = simulate(revision(p, mine, pod_s), load, cfg)
    return Day(users, declared, recommended, recs, pools)


def _row(name: str, t: Trace) -> str:
    wait = t.cold_wait_s / t.queued_in_cold_start if t.queued_in_cold_start else 0.0
    return (f"| {name} | {sum(t.arrivals):,} | {t.max_ready} | {t.replica_seconds / 3600:.1f} | "
            f"{t.cold_starts} | {t.queued_in_cold_start} | {wait:.1f} | {t.panic_episodes} | "
            f"{t.over_capacity_s} | {t.cpu_saturated_s} |")  # fmt: skip


def _user_path() -> set[str]:
    return set(model.load()["assumptions"]["interactive"]) | set(model.USER_PATH_STAGES)


def report(day: Day) -> str:
    head = ("| function | requests/day | max pods | pod-hours | cold starts | queued in cold start "
            "| mean wait s | panics | s over cc | s over CPU |\n" + "|---" * 10 + "|")  # fmt: skip
    lines = [f"### {day.users:,} daily users\n"]
    for label, traces in (("declared scaling", day.declared), ("recommended", day.recommended)):
        total = sum(t.cold_starts for t in traces.values())
        user = sum(t.cold_starts for n, t in traces.items() if n in _user_path())
        queued = sum(t.queued_in_cold_start for t in traces.values())
        hours = sum(t.replica_seconds for t in traces.values()) / 3600
        lines += [f"**{label}**: {total} cold starts ({user} on a user's path), {queued} "
                  f"requests queued behind them, {hours:.0f} pod-hours\n", head]  # fmt: skip
        lines += [_row(name, t) for name, t in sorted(traces.items())]
        lines.append("")
    lines += ["| pool | vCPU needed | MiB needed | nodes | limited by |", "|---|---|---|---|---|"]
    lines += [f"| {p.name} | {p.vcpu_needed} | {p.mib_needed:,} | {p.nodes} | {p.limited_by} |"
              for p in day.pools]  # fmt: skip
    return "\n".join(lines)


def recommendations(days: list[Day]) -> str:
    lines = ["| function | declared min/max/target/cc | containerConcurrency | target | "
             + " | ".join(f"min/max at {d.users // 1000}k" for d in days) + " |",
             "|---|---|---|---|" + "---|" * len(days)]  # fmt: skip
    profs = model.profiles(model.load())
    for name in sorted(days[0].recs):
        r = days[0].recs[name]
        scales = " | ".join(f"{d.recs[name].min_scale}/{d.recs[name].max_scale}" for d in days)
        declared = "/".join(str(x) for x in profs[name].declared)
        lines.append(f"| {name} | {declared} | {r.container_concurrency} | {r.target} | {scales} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", default="10000,100000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-plots", action="store_true")
    args = parser.parse_args()
    inputs = model.load()
    days = [run_day(int(u), inputs, args.seed) for u in args.users.split(",")]
    print(recommendations(days), "\n")
    print("daily users at which a pool outgrows today's cluster:", model.outgrows(inputs), "\n")
    for day in days:
        print(report(day), "\n")
    if not args.no_plots:
        from tests.load.capacity.plot import plot_day  # noqa: PLC0415 (matplotlib: plots only)

        DOCS.mkdir(parents=True, exist_ok=True)
        for day in days:
            path = DOCS / f"day-{day.users // 1000}k.png"
            plot_day(day.users, day.declared, day.recommended, shown=SHOWN,
                     user_path=_user_path(), path=path)  # fmt: skip
            print(f"wrote {path.relative_to(DOCS.parents[1])}")


if __name__ == "__main__":
    main()
