"""Dashboards and alerts as code (knative/observability/) name only series the code exports:
every metric in every PromQL expression is one a process actually exposes, and the dashboard
shows every series the kit defines."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from eventing.sse.metrics import GatewayMetrics
from functions.kit.metrics import EXPORTED, Metrics

ROOT = Path(__file__).parents[2] / "knative" / "observability"
DASHBOARD = ROOT / "grafana-eco2-functions.json"
RULES = ROOT / "prometheus-rules.yaml"
# PromQL words that are not metric names (aggregations, modifiers, set operators).
WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
         "unless", "bool", "offset", "inf", "nan"}  # fmt: skip
CLAUSE = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
NUMBER = re.compile(r"(?<![A-Za-z_:])\d+(\.\d+)?([eE][+-]?\d+)?")
IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers that are not function calls,
    keywords, label matchers, ranges, grouping labels or numbers."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\boffset\s+-?[0-9a-z]+", "", expr)
    expr = NUMBER.sub(" ", CLAUSE.sub(" ", expr))
    names = set()
    for match in IDENT.finditer(expr):
        if expr[match.end() :].lstrip().startswith("(") or match.group().lower() in WORDS:
            continue
        names.add(match.group())
    return names


def exposed() -> set[str]:
    """Every sample name the processes expose, read from their own text exposition."""
    metrics = Metrics()
    metrics.delivered("f", "retry")
    metrics.delivered("f", "dead")
    metrics.handled("f", 0.1)
    metrics.llm_call("p", "m", input_tokens=1, output_tokens=1, cost_usd=0.1, ok=True)
    metrics.http_request("/r", "GET", 200, 0.1)
    text = metrics.render().decode() + GatewayMetrics().render()
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def dashboard_exprs() -> list[str]:
    board: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    assert all(p["targets"] for p in board["panels"])
    for variable in board["templating"]["list"]:
        query = variable.get("query")
        if isinstance(query, dict):
            exprs += re.findall(r"label_values\((\w+)", query["query"])
    return exprs


def rule_exprs() -> dict[str, str]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    assert (document["apiVersion"], document["kind"]) == ("monitoring.coreos.com/v1",
                                                          "PrometheusRule")  # fmt: skip
    return {r["alert"]: r["expr"] for g in document["spec"]["groups"] for r in g["rules"]}


def test_the_parser_finds_names_and_nothing_else() -> None:
    expr = ('histogram_quantile(0.99, sum by (function, le) (rate(x_bucket{a="b"}[5m])))'
            " / clamp_min(sum(rate(y_total[1h] offset 1d)), 1e-9) > bool 0.1")  # fmt: skip
    assert metric_names(expr) == {"x_bucket", "y_total"}


def test_every_metric_in_the_dashboard_and_the_alerts_is_exported() -> None:
    known = exposed()
    used = {name for expr in [*dashboard_exprs(), *rule_exprs().values()]
            for name in metric_names(expr)}  # fmt: skip
    assert used, "no metric names found"
    assert used <= known, sorted(used - known)


def test_the_dashboard_shows_every_series_the_kit_defines() -> None:
    used = {name for expr in dashboard_exprs() for name in metric_names(expr)}
    shown = {name.removesuffix("_bucket").removesuffix("_count") for name in used}
    assert set(EXPORTED) <= shown, sorted(set(EXPORTED) - shown)


def test_the_alerts_the_issue_asks_for_exist() -> None:
    alerts = rule_exprs()
    wanted = {"Eco2DeadLetters": "eco2_dead_letters_total",
              "Eco2HighRetryRate": "eco2_delivery_retries_total",
              "Eco2HandlerP99Slow": "eco2_handler_duration_seconds_bucket",
              "Eco2LlmDailyBudget": "eco2_llm_cost_usd_total"}  # fmt: skip
    for alert, metric in wanted.items():
        assert metric in metric_names(alerts[alert]), alert
