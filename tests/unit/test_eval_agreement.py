"""Tier 3 arithmetic (functions/eval/agreement.py): Cohen's κ against textbook values, and
the isotonic calibration map. The reference values were computed with scikit-learn 1.9.1's
`cohen_kappa_score` and `IsotonicRegression` (not a dependency: ADR 0022)."""

from __future__ import annotations

import pytest

from functions.eval.agreement import calibration_map, cross_fitted, isotonic, kappa

A = [1, 2, 3, 4, 5, 3, 2, 4, 5, 1, 3, 3]
B = [1, 2, 3, 3, 5, 4, 2, 4, 4, 2, 3, 1]


def test_the_two_by_two_textbook_example() -> None:
    """100 items: both yes 50, yes/no 10, no/yes 5, both no 35 → p_o .85, p_e .51, κ ≈ .694."""
    a = [1] * 60 + [0] * 40
    b = [1] * 50 + [0] * 10 + [1] * 5 + [0] * 35
    assert kappa(a, b) == pytest.approx(0.693877551, abs=1e-9)


def test_unweighted_linear_and_quadratic_kappa_on_a_five_point_scale() -> None:
    assert kappa(A, B) == pytest.approx(0.4736842105, abs=1e-9)
    assert kappa(A, B, "linear") == pytest.approx(0.6470588235, abs=1e-9)
    assert kappa(A, B, "quadratic") == pytest.approx(0.7894736842, abs=1e-9)


def test_perfect_agreement_and_agreement_no_better_than_chance() -> None:
    assert kappa(A, A) == pytest.approx(1.0)
    assert kappa(A, A, "quadratic") == pytest.approx(1.0)
    assert kappa([1, 2, 1, 2], [1, 1, 2, 2]) == pytest.approx(0.0)
    assert kappa([3, 3, 3], [3, 3, 3]) == 1.0


def test_kappa_rejects_unequal_or_empty_ratings() -> None:
    with pytest.raises(ValueError, match="equally long"):
        kappa([1, 2], [1])
    with pytest.raises(ValueError, match="non-empty"):
        kappa([], [])


def test_isotonic_pools_adjacent_violators() -> None:
    fitted = isotonic([1, 1, 2, 2, 3, 3, 4, 5], [2, 1, 1, 1, 3, 4, 3, 5])
    assert fitted == pytest.approx({1: 1.25, 2: 1.25, 3: 10 / 3, 4: 10 / 3, 5: 5.0})


def test_the_calibration_map_covers_the_scale_and_is_monotone() -> None:
    judge = [5, 5, 5, 5, 4, 4, 1, 1]
    labels = [4, 4, 4, 5, 4, 3, 2, 2]  # a lenient judge: its 5s are mostly 4s
    mapping = calibration_map(judge, labels)
    assert mapping == {1: 2, 2: 2, 3: 4, 4: 4, 5: 4}
    assert list(mapping.values()) == sorted(mapping.values())


def test_cross_fitted_scores_come_from_the_other_fold() -> None:
    """Even items are mapped by the odd items' fit and the other way round."""
    judge = [5, 5, 5, 5]
    labels = [1, 5, 1, 5]  # evens say 1, odds say 5
    assert cross_fitted(judge, labels) == [5, 1, 5, 1]
