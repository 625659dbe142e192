"""`eco2 eval` offline (functions/eval/cli.py, runner.py, report.py): golden sets and the
calibration set in, report.md + report.json + plots out, κ per criterion in the report, and
a regression against the previous run's JSON reported (exit status 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from functions.eval import report
from functions.eval.cli import REGRESSED
from functions.eval.model import CRITERIA
from functions.kit.cli import main


def test_the_offline_run_writes_the_report_and_flags_a_regression(tmp_path: Path) -> None:
    out = tmp_path / "report"
    out.mkdir()
    baseline = {  # a previous run that was better on everything it shares with this one
        "run": {"started_at": "2026-12-01T00:00:00+00:00"},
        "golden": {"scan": {"tier1_pass_rate": 1.0, "answers": {
            "s-aa": {"failed": [], "scores": {"accuracy": 5, "tone": 5}}},
            "criteria": {c: {"mean": 5.0} for c in CRITERIA}}},
        "calibration": {"agreement": [{"criterion": "tone", "kappa_quadratic": 1.0}]},
    }  # fmt: skip
    (out / "report.json").write_text(json.dumps(baseline), encoding="utf-8")

    assert main(["eval", "--out", str(out)]) == REGRESSED

    result = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert result["run"]["provider"] == "offline"
    assert result["golden"]["scan"]["n"] >= 40 and result["golden"]["chat"]["n"] >= 20
    assert result["golden"]["scan"]["tier1_pass_rate"] == 1.0
    assert result["calibration"]["n"] >= 100
    rows = {a["criterion"]: a for a in result["calibration"]["agreement"]}
    assert set(rows) == set(CRITERIA)
    assert all(-1.0 <= a["kappa_quadratic"] <= 1.0 and a["rejected"] == 0 for a in rows.values())
    regressions = result["regressions"]
    assert regressions["regressed"] and regressions["baseline"] == "2026-12-01T00:00:00+00:00"
    assert any(d["what"] == "κ (quadratic) tone" and d["regressed"] for d in regressions["deltas"])
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "| criterion | n | κ | κ quadratic |" in text and "| tone |" in text
    assert "**regressed**" in text
    for plot in ("scores.png", "agreement.png", "regression.png"):
        assert (out / plot).read_bytes().startswith(b"\x89PNG")


def test_a_run_compared_with_itself_has_no_regression() -> None:
    run = {
        "run": {"started_at": "t0"},
        "golden": {"chat": {"tier1_pass_rate": 0.9, "answers": {
            "c-1": {"failed": ["register"], "scores": {"tone": 2}}},
            "criteria": {c: {"mean": 4.0} for c in CRITERIA}}},
        "calibration": {"agreement": [{"criterion": "tone", "kappa_quadratic": 0.5}]},
    }  # fmt: skip
    found = report.regressions(run, run)
    assert not found["regressed"] and found["answers"] == []
    worse = json.loads(json.dumps(run))
    worse["golden"]["chat"]["answers"]["c-1"] = {
        "failed": ["register", "bin"],
        "scores": {"tone": 1},
    }
    found = report.regressions(worse, run)
    assert found["regressed"]
    assert found["answers"] == [{"set": "chat", "id": "c-1", "newly_failed": ["bin"],
                                 "drops": {"tone": (2, 1)}}]  # fmt: skip


@pytest.mark.parametrize(
    "argv",
    [["eval", "--provider", "offline", "--model", "gpt-5-mini"], ["eval", "--provider", "openai"]],
    ids=["model of another provider", "provider without a key"],
)
def test_a_run_that_cannot_work_is_a_usage_error(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ECO2_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ECO2_OPENAI_BASE_URL", raising=False)
    assert main([*argv, "--out", str(tmp_path)]) == 2
    assert not (tmp_path / "report.json").exists()
