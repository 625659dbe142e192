"""The report: regressions against the previous run, and report.md's tables (plain data in,
text out; the plots are `plots.py`'s)."""

from __future__ import annotations

from typing import Any

from functions.eval.model import CRITERIA

MEAN_DROP = 0.2  # a criterion's mean falling by more than this is a regression
KAPPA_DROP = 0.1
PASS_DROP = 0.0  # any fall of the tier-1 pass rate is one


def regressions(now: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    """What got worse since `before`: per-set means and pass rates, κ, and the answers that
    now fail a tier-1 check they passed or lost a point or more on a criterion."""
    if before is None:
        return {"baseline": None, "deltas": [], "answers": [], "regressed": False}
    deltas: list[dict[str, Any]] = []
    worse: list[dict[str, Any]] = []
    for name, current in now["golden"].items():
        old = before.get("golden", {}).get(name)
        if old is None:
            continue
        deltas.append(_delta(f"{name} tier-1 pass rate", current["tier1_pass_rate"],
                             old["tier1_pass_rate"], PASS_DROP))  # fmt: skip
        for criterion in CRITERIA:
            deltas.append(_delta(f"{name} {criterion} mean", current["criteria"][criterion]["mean"],
                                 old["criteria"][criterion]["mean"], MEAN_DROP))  # fmt: skip
        worse += _answers(name, current["answers"], old["answers"])
    old_kappa = {a["criterion"]: a for a in before.get("calibration", {}).get("agreement", [])}
    for found in now["calibration"]["agreement"]:
        old_row = old_kappa.get(found["criterion"])
        if old_row is not None:
            deltas.append(_delta(f"κ (quadratic) {found['criterion']}", found["kappa_quadratic"],
                                 old_row["kappa_quadratic"], KAPPA_DROP))  # fmt: skip
    regressed = any(d["regressed"] for d in deltas) or bool(worse)
    baseline = before.get("run", {}).get("started_at")
    return {"baseline": baseline, "deltas": deltas, "answers": worse, "regressed": regressed}


def _delta(what: str, now: float | None, before: float | None, tolerance: float) -> dict[str, Any]:
    if now is None or before is None:
        return {"what": what, "now": now, "before": before, "delta": None, "regressed": False}
    change = now - before
    return {"what": what, "now": now, "before": before, "delta": change,
            "regressed": change < -tolerance - 1e-9}  # fmt: skip


def _answers(name: str, now: dict[str, Any], before: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for answer_id, current in now.items():
        old = before.get(answer_id)
        if old is None:
            continue
        newly = sorted(set(current["failed"]) - set(old["failed"]))
        drops = {c: (old["scores"][c], s) for c, s in current["scores"].items()
                 if c in old["scores"] and s <= old["scores"][c] - 1}  # fmt: skip
        if newly or drops:
            found.append({"set": name, "id": answer_id, "newly_failed": newly, "drops": drops})
    return found


def _f(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def markdown(result: dict[str, Any], plots: list[str]) -> str:
    run = result["run"]
    lines = [
        "# Eco² answer evaluation",
        "",
        f"Provider `{run['provider']}`, model `{run['model']}`, judge `{run['judge_model']}`; "
        f"{run['started_at']}, {run['seconds']} s. Method: docs/eval.md, ADR 0022.",
        "",
        "## Tier 1 (code graders) and tier 2 (judge) on the golden sets",
        "",
        "| set | n | tier-1 pass | " + " | ".join(CRITERIA) + " |",
        "|---|---|---|" + "---|" * len(CRITERIA),
    ]
    for name, found in result["golden"].items():
        means = " | ".join(_f(found["criteria"][c]["mean"]) for c in CRITERIA)
        lines.append(f"| {name} | {found['n']} | {_f(found['tier1_pass_rate'])} | {means} |")
    failures = [f for s in result["golden"].values() for f in s["tier1_failures"]]
    lines += ["", f"Tier-1 failures on the golden sets: {len(failures)}."]
    lines += [f"- `{f['id']}` {f['check']}: {f['detail']}" for f in failures[:30]]
    cal = result["calibration"]
    lines += [
        "", f"## Tier 3: the judge against the labelled set (n = {cal['n']})", "",
        "| criterion | n | κ | κ quadratic | exact | calibration map (judge→label) "
        "| κ quadratic, calibrated | rejected |",
        "|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for a in cal["agreement"]:
        mapping = " ".join(f"{k}→{v}" for k, v in sorted(a["calibration"].items()))
        lines.append(f"| {a['criterion']} | {a['n']} | {_f(a['kappa'])} | "
                     f"{_f(a['kappa_quadratic'])} | {_f(a['exact'])} | {mapping} | "
                     f"{_f(a['kappa_calibrated'])} | {a['rejected']} |")  # fmt: skip
    lines += _regression_lines(result["regressions"])
    lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def _regression_lines(found: dict[str, Any]) -> list[str]:
    if found["baseline"] is None:
        return ["", "## Regressions", "", "No previous run to compare with."]
    verdict = "**regressed**" if found["regressed"] else "no regression"
    lines = ["", "## Regressions", "", f"Against the run of {found['baseline']}: {verdict}.", "",
             "| what | before | now | Δ |", "|---|---|---|---|"]  # fmt: skip
    for d in found["deltas"]:
        mark = " ⚠" if d["regressed"] else ""
        lines.append(f"| {d['what']} | {_f(d['before'])} | {_f(d['now'])} | "
                     f"{_f(d['delta'])}{mark} |")  # fmt: skip
    for a in found["answers"][:30]:
        lines.append(f"- `{a['set']}/{a['id']}`: newly failed {a['newly_failed'] or '-'}, "
                     f"drops {a['drops'] or '-'}")  # fmt: skip
    return lines
