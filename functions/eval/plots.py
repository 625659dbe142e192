"""The report's plots (matplotlib, Agg: files only, no display). Imported only by the
runner's CLI: matplotlib is operator tooling, a dev dependency (ADR 0022)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from functions.eval.model import CRITERIA, SCALE


def draw(result: dict[str, Any], out: Path) -> list[str]:
    """scores.png, agreement.png and, with a baseline, regression.png; their file names
    (none where matplotlib is not installed: the report's tables do not need it)."""
    try:
        import matplotlib  # noqa: PLC0415 - a dev dependency, loaded only to draw
    except ImportError:
        return []

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt  # noqa: PLC0415

    names = [
        _scores(plt, result, out / "scores.png"),
        _agreement(plt, result, out / "agreement.png"),
    ]
    if result["regressions"]["baseline"] is not None:
        names.append(_regression(plt, result, out / "regression.png"))
    return names


def _scores(plt: Any, result: dict[str, Any], path: Path) -> str:
    sets = list(result["golden"])
    size = (3 * len(CRITERIA), 2.6 * len(sets))
    figure, axes = plt.subplots(len(sets), len(CRITERIA), figsize=size, squeeze=False, sharey="row")
    for row, name in enumerate(sets):
        for col, criterion in enumerate(CRITERIA):
            counts = result["golden"][name]["criteria"][criterion]["distribution"]
            axis = axes[row][col]
            axis.bar(list(SCALE), [counts[str(s)] for s in SCALE], color="#4c8c4a")
            axis.set_title(f"{name}: {criterion}", fontsize=9)
            axis.set_xticks(list(SCALE))
    figure.suptitle("Judge score distributions on the golden sets")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path.name


def _agreement(plt: Any, result: dict[str, Any], path: Path) -> str:
    rows = result["calibration"]["agreement"]
    x = range(len(rows))
    figure, axis = plt.subplots(figsize=(8, 3.5))
    for offset, key, label in ((-0.27, "kappa", "κ"), (0.0, "kappa_quadratic", "κ quadratic"),
                               (0.27, "kappa_calibrated", "κ quadratic, calibrated")):  # fmt: skip
        axis.bar([i + offset for i in x], [r[key] for r in rows], width=0.27, label=label)
    axis.set_xticks(list(x), [r["criterion"] for r in rows])
    axis.set_ylim(-0.2, 1.0)
    axis.axhline(0, color="black", linewidth=0.6)
    axis.set_title("Judge vs labels, per criterion (Cohen's κ)")
    axis.legend(fontsize=8, loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path.name


def _regression(plt: Any, result: dict[str, Any], path: Path) -> str:
    deltas = [d for d in result["regressions"]["deltas"] if d["delta"] is not None]
    figure, axis = plt.subplots(figsize=(8, max(2.5, 0.25 * len(deltas))))
    colors = ["#c0392b" if d["regressed"] else "#7f8c8d" for d in deltas]
    axis.barh([d["what"] for d in deltas], [d["delta"] for d in deltas], color=colors)
    axis.axvline(0, color="black", linewidth=0.6)
    axis.tick_params(axis="y", labelsize=7)
    axis.set_title("Change since the previous run (red: regression)")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path.name
