"""The capacity model's KPA simulation behaves as Knative's autoscaler does, and every input
it takes as measured names a benchmark that exists (docs/capacity.md, ADR 0021)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from functions.kit.bootstrap import build_registry
from functions.kit.declare import Scaling
from tests.load.capacity import model
from tests.load.capacity.kpa import KpaConfig, Revision, simulate

LOAD = Path(__file__).parents[1] / "load"


def _rev(**kw: float) -> Revision:
    knobs = {"target": 10, "container_concurrency": 10, "min_scale": 1, "max_scale": 100,
             "latency_s": 1.0, "cold_start_s": 0.0, **kw}  # fmt: skip
    return Revision(name="f", **knobs)  # type: ignore[arg-type]


def test_a_step_in_load_panics_and_scales_within_the_panic_window() -> None:
    arrivals = [5] * 120 + [50] * 60  # concurrency 5 → 50; target 10 x 70 % = 7 per pod
    trace = simulate(_rev(), arrivals)
    assert trace.ready[119] == 1 and not trace.panicking[119]
    step_panic = trace.panicking.index(True)
    assert 120 <= step_panic <= 120 + 6
    assert trace.ready[120 + 6 + 2] >= 8  # ceil(50 / 7): within the panic window and a tick

    calm = simulate(_rev(), arrivals, KpaConfig(panic_threshold_pct=1e9))  # stable only
    assert calm.ready[120 + 6 + 2] < 8 and not any(calm.panicking)


def test_no_scale_down_while_panicking_then_back_to_stable() -> None:
    arrivals = [5] * 120 + [50] * 20 + [5] * 200
    trace = simulate(_rev(), arrivals)
    top = max(trace.ready)
    assert top >= 8
    # The load fell at 140; the panic window was last over the threshold at 122, so the pods
    # are held until a stable window after that, then halved at most (max-scale-down-rate 2).
    assert min(trace.ready[140:182]) == top
    assert trace.ready[184] == top // 2
    assert trace.ready[-1] < top and not trace.panicking[-1]  # a stable window later: down
    assert trace.panic_episodes == 1


def test_scale_to_zero_after_the_stable_window_and_the_grace_period() -> None:
    arrivals = [0] * 10 + [3] * 10 + [0] * 200  # last requests in second 19
    trace = simulate(_rev(min_scale=0, cold_start_s=2.0), arrivals)
    assert trace.cold_starts == 1 and trace.cold_start_at == [10]
    assert trace.ready[11] == 0 and trace.ready[12] == 1  # the pod takes its cold start
    assert trace.queued_in_cold_start == 6  # the requests of seconds 10 and 11 waited
    assert trace.ready[19 + 60] >= 1  # the stable window still sees them
    assert trace.ready[19 + 60 + 30 - 2] == 1  # grace period
    assert trace.ready[19 + 1 + 60 + 30 + 2] == 0


def test_a_warm_start_has_no_cold_start() -> None:
    assert simulate(_rev(min_scale=0), [1] * 30, initial=1).cold_starts == 0
    assert simulate(_rev(min_scale=0), [1] * 30).cold_starts == 1


def test_min_scale_keeps_pods_and_max_scale_caps_them() -> None:
    trace = simulate(_rev(min_scale=2, max_scale=3), [0] * 30 + [100] * 30 + [0] * 30)
    assert min(trace.ready) == 2 and max(trace.ready) == 3 and trace.cold_starts == 0
    assert trace.over_capacity_s > 0  # 100 in flight on 3 pods of 10


SOURCE = re.compile(r"^([a-z_]+) (\d{4}-\d{2}-\d{2}): \S")


def test_every_measured_input_names_a_benchmark_that_exists() -> None:
    found = model.sources(model.load())
    assert len(found) > 100
    for source in found:
        match = SOURCE.match(source)
        assert match, f"{source!r}: want '<bench> <YYYY-MM-DD>: what'"
        assert (LOAD / f"{match[1]}.py").is_file(), f"{source!r}: no tests/load/{match[1]}.py"


def test_every_declared_function_has_measured_inputs() -> None:
    measured = model.load()["measured"]
    declared = {fn.name for fn in build_registry()}
    assert set(measured["functions"]) == declared
    for flow in measured["flows"].values():
        assert set(flow) <= declared


@pytest.mark.parametrize("users", [10_000, 100_000])
def test_recommendations_are_valid_declarations(users: int) -> None:
    recs, pools = model.plan(users)
    for r in recs.values():  # the declaration's own checks accept every recommendation
        Scaling(r.min_scale, r.max_scale, r.target, r.container_concurrency)
    assert {p.name for p in pools} == {"api", "workers", "ingress", "data"}
    assert all(p.nodes >= 2 for p in pools)


def test_concurrency_follows_one_core_and_scheduled_functions_keep_their_knobs() -> None:
    inputs = model.load()
    recs, _ = model.plan(100_000, inputs)
    agent = model.profiles(inputs)["chat-agent"]
    saturation = 1000 / agent.cpu_ms * agent.latency_s  # 210 ms over 11 s: ~52 turns a core
    assert recs["chat-agent"].container_concurrency <= saturation
    assert recs["chat-agent"].target * inputs["assumptions"]["utilisation"] <= saturation
    sweep = recs["chat-forget"]  # declared as a singleton: one sweep at a time
    assert (sweep.min_scale, sweep.max_scale, sweep.container_concurrency) == (0, 1, 1)
