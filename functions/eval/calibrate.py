"""Tier 3: the judge against the labelled set — κ per criterion (unweighted and quadratic),
the calibration map, and the κ of the calibrated scores (cross-fitted)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from functions.eval import agreement, answers
from functions.eval.data import Labelled
from functions.eval.model import CRITERIA, Answer, Graded, Situation


def to_answer(entry: Labelled) -> Answer:
    situation = Situation(entry.item, entry.tags, entry.major, entry.middle)
    if entry.kind == "chat":
        return answers.chat_answer(entry.id, entry.question, situation, entry.reply)
    return answers.scan_answer(
        entry.id, entry.question, situation,
        claimed=(entry.major or "미분류", entry.middle or "미분류"), steps=entry.steps,
        insufficiencies=entry.insufficiencies, reply=entry.reply,
    )  # fmt: skip


@dataclass(frozen=True)
class Agreement:
    criterion: str
    n: int
    kappa: float
    kappa_quadratic: float
    exact: float  # share of answers where judge and label are equal
    calibration: dict[int, int]
    kappa_calibrated: float  # quadratic, on cross-fitted calibrated scores
    rejected: int


def agree(graded: Sequence[Graded], labelled: Sequence[Labelled]) -> list[Agreement]:
    """Per criterion, over the answers the judge graded (rejected ones are counted apart)."""
    labels = {e.id: e.labels for e in labelled}
    found = []
    for criterion in CRITERIA:
        pairs = [(g.judgements[criterion].score, labels[g.answer.id][criterion])
                 for g in graded if criterion in g.judgements]  # fmt: skip
        rejected = sum(criterion in g.rejected for g in graded)
        if not pairs:
            found.append(Agreement(criterion, 0, 0.0, 0.0, 0.0, {}, 0.0, rejected))
            continue
        judge, truth = [p[0] for p in pairs], [p[1] for p in pairs]
        calibrated = agreement.cross_fitted(judge, truth)
        found.append(Agreement(
            criterion=criterion, n=len(pairs), kappa=agreement.kappa(judge, truth),
            kappa_quadratic=agreement.kappa(judge, truth, "quadratic"),
            exact=sum(a == b for a, b in pairs) / len(pairs),
            calibration=agreement.calibration_map(judge, truth),
            kappa_calibrated=agreement.kappa(calibrated, truth, "quadratic"), rejected=rejected,
        ))  # fmt: skip
    return found
