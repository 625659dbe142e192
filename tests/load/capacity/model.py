"""The capacity model: measured per-request costs x a daily load curve → Knative knobs and pools.

Pure: reads tests/load/capacity/inputs.yaml (every measured figure names its benchmark), no
clock, no I/O beyond that file. docs/capacity.md explains each rule; simulate.py runs the
Knative autoscaler over the same curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from functions.kit.bootstrap import build_registry
from functions.kit.declare import Kind

INPUTS = Path(__file__).with_name("inputs.yaml")
USER_PATH_STAGES = ("scan-vision", "scan-rule", "scan-answer", "scan-reward", "chat-agent")
ACTIONS = {  # flow → its per-user-per-day key in the assumptions
    "scan": "scans", "chat_turn": "chat_turns", "session": "sessions",
    "map_view": "map_views", "info_view": "info_views", "signup": "signup",
}  # fmt: skip


def load(path: Path = INPUTS) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def sources(inputs: dict[str, Any]) -> list[str]:
    """Every `source` string under `measured` (the test checks each names a benchmark)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "source" in node:
                found.append(str(node["source"]))
            for value in node.values():
                walk(value)

    walk(inputs["measured"])
    return found


def diurnal(inputs: dict[str, Any]) -> list[float]:
    """1,440 per-minute multipliers of the mean rate (mean 1), from the hourly KST shape,
    linear between the hours' midpoints, times the burst (a push notification, a campaign)
    for its minutes; the mean is taken before the burst, so the day's total grows a little."""
    hours = [float(h) for h in inputs["assumptions"]["diurnal_kst"]]
    raw = []
    for minute in range(1440):
        x = (minute - 30) / 60
        lo = math.floor(x)
        frac = x - lo
        raw.append(hours[lo % 24] * (1 - frac) + hours[(lo + 1) % 24] * frac)
    mean = sum(raw) / len(raw)
    curve = [r / mean for r in raw]
    burst = inputs["assumptions"]["burst"]
    start = int(burst["at_kst_h"] * 60)
    for minute in range(start, start + int(burst["minutes"])):
        curve[minute % 1440] *= burst["multiplier"]
    return curve


@dataclass(frozen=True)
class Profile:
    """One function's per-request cost, its daily requests per daily user and its knobs now."""

    name: str
    kind: str
    cpu_ms: float
    latency_s: float
    mem_mib: float
    ready_ms: float
    kib_per_inflight: float
    per_user_day: float  # requests per daily user per day
    per_minute: float  # scheduled requests per minute, whatever the users
    declared: tuple[int, int, int, int]  # min, max, target, containerConcurrency


def profiles(inputs: dict[str, Any]) -> dict[str, Profile]:
    measured, usage = inputs["measured"], inputs["assumptions"]["usage_per_daily_user"]
    scheduled = inputs["assumptions"]["scheduled_per_minute"]
    count: dict[str, float] = {}
    cpu: dict[str, float] = {}
    lat: dict[str, float] = {}
    for flow, per_fn in measured["flows"].items():
        times = float(usage[ACTIONS[flow]])
        for name, spec in per_fn.items():
            fig = measured["functions"][name]
            n = float(spec["count"] if isinstance(spec, dict) else spec) * times
            c = float(spec.get("cpu_ms", fig["cpu_ms"]["value"]) if isinstance(spec, dict)
                      else fig["cpu_ms"]["value"])  # fmt: skip
            lt = float(spec.get("latency_s", fig["latency_s"]["value"]) if isinstance(spec, dict)
                       else fig["latency_s"]["value"])  # fmt: skip
            count[name] = count.get(name, 0.0) + n
            cpu[name] = cpu.get(name, 0.0) + n * c
            lat[name] = lat.get(name, 0.0) + n * lt
    out = {}
    for fn in build_registry():
        fig = measured["functions"][fn.name]
        n = count.get(fn.name, 0.0)
        s = fn.scaling
        out[fn.name] = Profile(
            name=fn.name,
            kind="event" if fn.kind is Kind.EVENT else "http",
            cpu_ms=cpu[fn.name] / n if n else float(fig["cpu_ms"]["value"]),
            latency_s=lat[fn.name] / n if n else float(fig["latency_s"]["value"]),
            mem_mib=float(fig["mem_mib"]["value"]),
            ready_ms=float(fig["ready_ms"]["value"]),
            kib_per_inflight=float(fig.get("kib_per_inflight", {}).get("value", 0.0)),
            per_user_day=n,
            per_minute=float(scheduled.get(fn.name, 0.0)),
            declared=(s.min_scale, s.max_scale, s.target_concurrency, s.container_concurrency),
        )
    return out


def rate_per_s(p: Profile, users: int, multiplier: float) -> float:
    return p.per_user_day * users / 86400 * multiplier + p.per_minute / 60


def _nice(x: float) -> int:
    """Round down to one or two significant figures: 930 → 900, 52 → 50, 7.5 → 7."""
    if x < 10:
        return max(1, math.floor(x))
    step = 10 ** (math.floor(math.log10(x)) - (1 if x < 100 else 0))
    step = max(step, 5 if x < 100 else step)
    return int(x // step * step)


@dataclass(frozen=True)
class Recommendation:
    name: str
    container_concurrency: int
    target: int  # the annotation; Knative targets target x utilisation
    min_scale: int
    max_scale: int
    peak_rps: float
    peak_concurrency: float
    peak_replicas: int
    peak_vcpu: float  # CPU actually used at the peak minute
    mem_request_mib: int


def recommend(p: Profile, users: int, inputs: dict[str, Any], peak: float) -> Recommendation:
    """containerConcurrency: the concurrency at which one replica's core is saturated
    (Little's law: core-rate x latency), within [floor, cap]; target: that same saturation
    concurrency, so Knative's 70 % utilisation keeps a replica at ~70 % of its core."""
    a = inputs["assumptions"]
    saturation = a["replica"]["vcpu_limit"] * 1000 / p.cpu_ms * p.latency_s
    cap = a["concurrency_cap"].get(p.name, a["concurrency_cap"]["default"])
    cc = min(max(_nice(saturation), a["concurrency_floor"]), cap)
    target = min(_nice(saturation), cc)
    rps = rate_per_s(p, users, peak)
    conc = rps * p.latency_s
    replicas = math.ceil(round(conc / (target * a["utilisation"]), 9))
    user_path = p.name in a["interactive"] or p.name in USER_PATH_STAGES
    min_scale = (2 if users >= 50_000 and p.name in a["interactive"] else 1) if user_path else 0
    if user_path and replicas >= 2:  # one pod flaps in and out of panic (ceil: 1 → 2 is 200 %)
        min_scale = max(min_scale, 2)
    min_scale = max(min_scale, p.declared[0])  # declared always-on (the dead-letter sink) stays
    max_scale = max(2, min_scale + 1, math.ceil(2 * replicas))
    if p.per_minute:  # scheduled: the declared knobs are deliberate (a sweep runs as one)
        min_scale, max_scale, target, cc = p.declared
    mem = p.mem_mib + a["replica"]["real_mode_extra_mib"] + cc * p.kib_per_inflight / 1024
    return Recommendation(
        name=p.name, container_concurrency=cc, target=target, min_scale=min_scale,
        max_scale=max_scale, peak_rps=rps,
        peak_concurrency=conc, peak_replicas=max(replicas, min_scale),
        peak_vcpu=rps * p.cpu_ms / 1000, mem_request_mib=math.ceil(mem),
    )  # fmt: skip


@dataclass(frozen=True)
class Pool:
    name: str
    vcpu_needed: float
    mib_needed: float
    nodes: int
    limited_by: str  # "cpu", "memory" or "minimum" (HA)


def _pool(name: str, vcpu: float, mib: float, inputs: dict[str, Any]) -> Pool:
    a = inputs["assumptions"]
    node = a["nodes"][name]
    vcpu += sum(a["fixed_vcpu"].get(name, {}).values())
    mib += sum(a["fixed_mib"].get(name, {}).values())
    by_cpu = math.ceil(vcpu / ((node["vcpu"] - node["reserved_vcpu"]) * a["utilisation"]))
    by_mem = math.ceil(mib / ((node["mem_gib"] - node["reserved_gib"]) * 1024 * a["utilisation"]))
    nodes = max(node["min_nodes"], by_cpu, by_mem)
    limited = "cpu" if by_cpu >= by_mem else "memory"
    limited = "minimum" if nodes == node["min_nodes"] else limited
    return Pool(name, round(vcpu, 2), round(mib), nodes, limited)


def pools(recs: dict[str, Recommendation], profs: dict[str, Profile], users: int,
          inputs: dict[str, Any], peak: float) -> list[Pool]:  # fmt: skip
    """Per pool: the larger of the replicas' requests and their peak use over the utilisation,
    plus the pool's fixed pieces; nodes = that over a node's allocatable, at least the HA
    minimum."""
    a, rep = inputs["assumptions"], inputs["assumptions"]["replica"]
    need = {"api": [0.0, 0.0, 0.0], "workers": [0.0, 0.0, 0.0]}  # requests, use, MiB
    for r in recs.values():
        pool = need["workers" if profs[r.name].kind == "event" else "api"]
        pool[0] += r.peak_replicas * (rep["vcpu_request"] + rep["queue_proxy_vcpu"])
        pool[1] += r.peak_vcpu
        pool[2] += r.peak_replicas * (r.mem_request_mib + rep["queue_proxy_mib"])
    actions_s = {  # user actions per second at the peak minute
        flow: a["usage_per_daily_user"][key] * users / 86400 * peak for flow, key in ACTIONS.items()
    }
    server_vcpu: dict[str, float] = {}
    for flow, per_server in inputs["measured"]["servers"].items():
        for server, fig in per_server.items():
            server_vcpu[server] = server_vcpu.get(server, 0) + actions_s[flow] * fig["value"] / 1000
    need["workers"][1] += server_vcpu.pop("router", 0.0)
    requests = sum(actions_s.values()) * 3  # ~3 edge requests per user action
    authz = server_vcpu.pop("authz", 0.0) + requests * a["ingress_ms_per_request"] / 1000
    out = [
        _pool(name, max(req, use / a["utilisation"]), mib, inputs)
        for name, (req, use, mib) in need.items()
    ]
    out.append(_pool("ingress", authz / a["utilisation"], 0.0, inputs))
    out.append(_pool("data", sum(server_vcpu.values()) / a["utilisation"], 0.0, inputs))
    return out


def plan(users: int, inputs: dict[str, Any] | None = None) -> tuple[dict[str, Recommendation],
                                                                   list[Pool]]:  # fmt: skip
    inputs = inputs or load()
    profs = profiles(inputs)
    peak = max(diurnal(inputs))
    recs = {name: recommend(p, users, inputs, peak) for name, p in profs.items()}
    return recs, pools(recs, profs, users, inputs, peak)


def outgrows(inputs: dict[str, Any], step: int = 25_000, limit: int = 5_000_000) -> dict[str, int]:
    """The first daily-user count (in `step`s) at which each pool needs more nodes than the
    cluster has today (assumptions.cluster_now); absent: not below `limit`."""
    now, found = inputs["assumptions"]["cluster_now"], {}
    for users in range(step, limit + 1, step):
        for pool in plan(users, inputs)[1]:
            if pool.name not in found and pool.nodes > now[pool.name]:
                found[pool.name] = users
        if len(found) == len(now):
            break
    return found
