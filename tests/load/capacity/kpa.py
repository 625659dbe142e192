"""A second-by-second simulation of the Knative Pod Autoscaler (KPA) for one revision.

It follows Knative Serving's decider (pkg/autoscaler/scaling/autoscaler.go, `Scale`) and the
defaults of `config-autoscaler` (knative.dev/docs/serving/autoscaling/kpa-specific): every tick
(2 s) the observed concurrency is averaged over the stable window (60 s) and the panic window
(10 % of it, 6 s); desired pods = ceil(average / target), kept within [ready / max-scale-down-rate,
ready x max-scale-up-rate]; panic starts when the panic window's desired pods reach 200 % of the
ready pods, lasts at least one stable window after the last time it was over the threshold, and
never scales down while it lasts. A revision goes to zero once the stable window has seen no
traffic and the scale-to-zero grace period has passed; the first request then waits in the
activator for a pod to start (the cold start). Pure: no clock, no I/O; arrivals are given.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class KpaConfig:
    stable_window_s: int = 60
    panic_window_pct: float = 10.0
    panic_threshold_pct: float = 200.0
    max_scale_up_rate: float = 1000.0
    max_scale_down_rate: float = 2.0
    tick_s: int = 2
    scale_to_zero_grace_s: int = 30
    target_utilization: float = 0.7  # target-utilization-percentage, applied to the target

    @property
    def panic_window_s(self) -> int:
        return max(1, round(self.stable_window_s * self.panic_window_pct / 100))


@dataclass(frozen=True)
class Revision:
    """One function's scaling knobs and what one request costs it."""

    name: str
    target: float  # the autoscaling.knative.dev/target annotation
    container_concurrency: int
    min_scale: int
    max_scale: int
    latency_s: float  # how long one request holds a slot
    cold_start_s: float  # pod scheduled → ready (ready_ms measured + scheduling assumed)
    cpu_ms: float = 0.0  # CPU per request, to flag seconds where a pod would need over a core
    vcpu_limit: float = 1.0

    def effective_target(self, cfg: KpaConfig) -> float:
        """What the KPA divides by: min(target, containerConcurrency) x utilisation."""
        return max(0.01, min(self.target, self.container_concurrency) * cfg.target_utilization)


@dataclass
class Trace:
    """Per second: load, concurrency and pods; the counters the capacity doc reports."""

    arrivals: list[int] = field(default_factory=list)
    concurrency: list[float] = field(default_factory=list)
    ready: list[int] = field(default_factory=list)
    desired: list[int] = field(default_factory=list)
    panicking: list[bool] = field(default_factory=list)
    cold_start_at: list[int] = field(default_factory=list)  # seconds a scale-up from zero began
    pod_starts: int = 0
    queued_in_cold_start: int = 0  # requests that arrived while no pod was ready
    cold_wait_s: float = 0.0  # their summed wait in the activator
    over_capacity_s: int = 0  # seconds with concurrency above ready x containerConcurrency
    cpu_saturated_s: int = 0  # seconds where the ready pods' CPU demand exceeds their limit
    panic_episodes: int = 0

    @property
    def cold_starts(self) -> int:
        """Scale-ups from zero pods: the next request waits for a pod to start."""
        return len(self.cold_start_at)

    @property
    def replica_seconds(self) -> int:
        return sum(self.ready)

    @property
    def max_ready(self) -> int:
        return max(self.ready, default=0)


class Decider:
    """The KPA's `Scale` for one revision: windows in, desired pods out."""

    def __init__(self, rev: Revision, cfg: KpaConfig) -> None:
        self.rev, self.cfg = rev, cfg
        self.target = rev.effective_target(cfg)
        self.stable: deque[float] = deque(maxlen=cfg.stable_window_s)
        self.panic: deque[float] = deque(maxlen=cfg.panic_window_s)
        self.stable_sum = 0.0
        self.panic_time: int | None = None
        self.max_panic_pods = 0
        self.zero_since: int | None = None

    def observe(self, concurrency: float) -> None:
        if len(self.stable) == self.stable.maxlen:
            self.stable_sum -= self.stable[0]
        self.stable.append(concurrency)
        self.stable_sum += concurrency
        self.panic.append(concurrency)

    def scale(self, now: int, ready: int) -> int:
        cfg = self.cfg
        stable_avg = self.stable_sum / max(1, len(self.stable))
        panic_avg = sum(self.panic) / max(1, len(self.panic))
        readyc = max(1.0, float(ready))
        max_up = math.ceil(cfg.max_scale_up_rate * readyc)
        max_down = math.floor(readyc / cfg.max_scale_down_rate)
        dspc = math.ceil(round(stable_avg / self.target, 9))
        dppc = math.ceil(round(panic_avg / self.target, 9))
        desired_stable = int(min(max(dspc, max_down), max_up))
        desired_panic = int(min(max(dppc, max_down), max_up))
        over = dppc / readyc >= cfg.panic_threshold_pct / 100
        if over:
            self.panic_time = now  # begin, or extend, panicking
        elif self.panic_time is not None and now - self.panic_time > cfg.stable_window_s:
            self.panic_time, self.max_panic_pods = None, 0
        desired = desired_stable
        if self.panic_time is not None:  # never scale down while panicking
            desired = max(desired, desired_panic, self.max_panic_pods)
            self.max_panic_pods = desired
        return self._bounded(now, desired, ready)

    def _bounded(self, now: int, desired: int, ready: int) -> int:
        if desired == 0 and ready > 0:  # the last pod goes only after the grace period
            self.zero_since = now if self.zero_since is None else self.zero_since
            if now - self.zero_since < self.cfg.scale_to_zero_grace_s:
                desired = 1
        else:
            self.zero_since = None
        return min(max(desired, self.rev.min_scale), self.rev.max_scale)

    @property
    def panicking(self) -> bool:
        return self.panic_time is not None


def concurrency_series(arrivals: list[int], latency_s: float) -> list[float]:
    """Average in-flight requests in each second when each request holds a slot for
    `latency_s`, arrivals spread evenly within their second (Little's law, per second)."""
    offsets = [(i + 0.5) / 10 for i in range(10)]
    weights = []
    for k in range(math.ceil(latency_s) + 1):  # share of second t+k covered by an arrival in t
        covered = sum(max(0.0, min(k + 1, u + latency_s) - max(k, u)) for u in offsets)
        weights.append(covered / len(offsets))
    return [
        sum(w * arrivals[t - k] for k, w in enumerate(weights) if t >= k)
        for t in range(len(arrivals))
    ]


def simulate(
    rev: Revision, arrivals: list[int], cfg: KpaConfig | None = None, initial: int = 0
) -> Trace:
    """Run the KPA over per-second arrivals; pods take `cold_start_s` to become ready.
    `initial` pods (at least min-scale) are up at the start: what the day before left."""
    cfg = cfg or KpaConfig()
    decider, trace = Decider(rev, cfg), Trace(arrivals=list(arrivals))
    trace.concurrency = concurrency_series(arrivals, rev.latency_s)
    ready, starting = max(rev.min_scale, initial), deque[float]()
    was_panicking = False
    for t, (n, conc) in enumerate(zip(arrivals, trace.concurrency, strict=True)):
        decider.observe(conc)
        while starting and starting[0] <= t:
            starting.popleft()
            ready += 1
        if n and ready == 0 and not starting:  # the activator pokes the autoscaler at once
            starting.append(t + rev.cold_start_s)
            trace.cold_start_at.append(t)
            trace.pod_starts += 1
        if ready == 0 and n:
            trace.queued_in_cold_start += n
            trace.cold_wait_s += n * max(0.0, starting[0] - t - 0.5)
        if t % cfg.tick_s == 0:
            want = decider.scale(t, ready)
            if want > ready + len(starting):
                if ready + len(starting) == 0:
                    trace.cold_start_at.append(t)
                trace.pod_starts += want - ready - len(starting)
                starting.extend([t + rev.cold_start_s] * (want - ready - len(starting)))
            while want < ready + len(starting):  # pods not yet ready are dropped first
                if starting:
                    starting.pop()
                else:
                    ready -= 1
        if ready and conc > ready * rev.container_concurrency:
            trace.over_capacity_s += 1
        if ready and conc / rev.latency_s * rev.cpu_ms / 1000 > ready * rev.vcpu_limit:
            trace.cpu_saturated_s += 1
        trace.panic_episodes += decider.panicking and not was_panicking
        was_panicking = decider.panicking
        trace.ready.append(ready)
        trace.desired.append(ready + len(starting))
        trace.panicking.append(decider.panicking)
    return trace
