"""The day's plot: load, pods per function (declared vs recommended scaling), cold starts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from tests.load.capacity.kpa import Trace


def _per_minute(values: Sequence[float], how: str = "mean") -> list[float]:
    out = []
    for m in range(0, len(values), 60):
        chunk = values[m : m + 60]
        out.append(max(chunk) if how == "max" else sum(chunk) / len(chunk))
    return out


def plot_day(users: int, declared: dict[str, Trace], recommended: dict[str, Trace], *,
             shown: Sequence[str], user_path: set[str], path: Path) -> None:  # fmt: skip
    hours = [m / 60 for m in range(1440)]
    fig, axes = plt.subplots(4, 1, figsize=(11, 12), sharex=True)
    load, pods_d, pods_r, cold = axes
    for name in shown:
        load.plot(hours, _per_minute([float(a) for a in declared[name].arrivals]), label=name)
        pods_d.step(hours, _per_minute([float(r) for r in declared[name].ready], "max"),
                    where="post", label=name)  # fmt: skip
        pods_r.step(hours, _per_minute([float(r) for r in recommended[name].ready], "max"),
                    where="post", label=name)  # fmt: skip
    for label, traces, colour in (("declared", declared, "tab:red"),
                                  ("recommended", recommended, "tab:green")):  # fmt: skip
        starts = [0.0] * 24
        for name, t in traces.items():
            for s in t.cold_start_at if name in user_path else ():
                starts[s // 3600 % 24] += 1
        background = sum(t.cold_starts for n, t in traces.items() if n not in user_path)
        offset = -0.2 if label == "declared" else 0.2
        text = f"{label}: {sum(starts):.0f} a day (+{background} in background functions)"
        cold.bar([h + 0.5 + offset for h in range(24)], starts, width=0.4, color=colour,
                 label=text)  # fmt: skip
    load.set_ylabel("requests/s (minute mean)")
    load.set_title(f"{users:,} daily users: load (KST), Poisson arrivals per second")
    pods_d.set_ylabel("ready pods (minute max)")
    pods_d.set_title("pods with the declared scaling (knative/generated)")
    pods_r.set_ylabel("ready pods (minute max)")
    pods_r.set_title("pods with the recommended scaling (docs/capacity.md)")
    cold.set_ylabel("cold starts per hour")
    cold.set_title("cold starts from zero on a user's path (a request waits for a pod)")
    cold.set_xlabel("hour of the day (KST)")
    cold.set_xticks(range(0, 25, 2))
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
