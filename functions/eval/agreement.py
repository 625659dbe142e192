"""Tier 3: agreement between the judge and the labels, and the judge's scores calibrated
against them. Pure arithmetic, no dependencies.

Cohen's κ (Cohen 1960; weighted κ, Cohen 1968) over the 1–5 scale:
    κ_w = 1 − Σ w_ij·O_ij / Σ w_ij·E_ij
with O the observed joint proportions, E the product of the marginals, and disagreement
weights w_ij = 0 on the diagonal and 1 off it (unweighted), |i−j| (linear) or (i−j)²
(quadratic). Implemented here rather than through scikit-learn, whose `cohen_kappa_score`
gives the same figures (the tests pin textbook values checked against it) but whose import
costs about 10 s on the CI machine for these ten lines (ADR 0022).

Calibration: isotonic regression of label on judge score (pool-adjacent-violators, weighted
by how many answers got each score), read off as a per-score map rounded to the scale. It is
monotone, so it can correct a judge that is harsh or lenient but never reorder its scores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from functions.eval.model import SCALE

Weights = Literal["none", "linear", "quadratic"]


def kappa(a: Sequence[int], b: Sequence[int], weights: Weights = "none") -> float:
    """Cohen's κ of two raters over the same items; 1.0 when both gave one same score only
    (no disagreement is possible), NaN-free: an undefined κ (all chance) is 0.0."""
    if len(a) != len(b) or not a:
        raise ValueError("kappa needs two equally long, non-empty rating lists")
    categories = sorted(set(a) | set(b))
    if len(categories) == 1:
        return 1.0
    n = len(a)
    pairs = Counter(zip(a, b, strict=True))
    left, right = Counter(a), Counter(b)
    observed = expected = 0.0
    for i in categories:
        for j in categories:
            w = _weight(i, j, weights)
            observed += w * pairs[(i, j)] / n
            expected += w * (left[i] / n) * (right[j] / n)
    return 1.0 - observed / expected if expected else 0.0


def _weight(i: int, j: int, weights: Weights) -> float:
    if weights == "linear":
        return float(abs(i - j))
    if weights == "quadratic":
        return float((i - j) ** 2)
    return 0.0 if i == j else 1.0


def isotonic(x: Sequence[int], y: Sequence[int]) -> dict[int, float]:
    """The non-decreasing fit of y on x (pool adjacent violators), as {x value: fitted y}."""
    blocks: list[list[float]] = []  # [sum of y, count, first x index] per pooled block
    values = sorted(set(x))
    for value in values:
        ys = [b for a, b in zip(x, y, strict=True) if a == value]
        blocks.append([float(sum(ys)), float(len(ys)), float(values.index(value))])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count, _ = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    fitted: dict[int, float] = {}
    for index, (total, count, start) in enumerate(blocks):
        end = int(blocks[index + 1][2]) if index + 1 < len(blocks) else len(values)
        for value in values[int(start) : end]:
            fitted[value] = total / count
    return fitted


def calibration_map(judge: Sequence[int], labels: Sequence[int]) -> dict[int, int]:
    """Judge score → calibrated score on the scale, for every point of the scale (a score the
    judge never gave maps to the nearest one it did)."""
    fitted = isotonic(judge, labels)
    seen = sorted(fitted)
    mapping = {}
    for score in SCALE:
        nearest = min(seen, key=lambda s: (abs(s - score), s))
        mapping[score] = min(SCALE[-1], max(SCALE[0], round(fitted[nearest] + 1e-9)))
    return mapping


def cross_fitted(judge: Sequence[int], labels: Sequence[int], folds: int = 2) -> list[int]:
    """Calibrated scores where each item's map was fitted on the other folds only, so the
    calibrated κ is not measured on the data the map learnt from."""
    out = list(judge)
    for fold in range(folds):
        train = [i for i in range(len(judge)) if i % folds != fold]
        if not train:
            continue
        mapping = calibration_map([judge[i] for i in train], [labels[i] for i in train])
        for i in range(fold, len(judge), folds):
            out[i] = mapping[judge[i]]
    return out
