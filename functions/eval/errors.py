"""The eval domain's one base exception and its cases."""

from __future__ import annotations

from functions.kit.errors import BadRequestError, Eco2Error


class EvalError(Eco2Error):
    """Base of every error the eval domain raises."""


class JudgementRejected(EvalError):
    """The judge's answer could not be accepted (evidence not quoted from the answer, a score
    off the scale) even after it was asked again: the answer stays ungraded, never guessed."""


class EvalDataError(EvalError):
    """A rubric, golden set or labelled set is malformed: fix the data file it names."""


class EvalUsageError(EvalError, BadRequestError):
    """A runner argument that cannot work (an unknown provider, an unreadable baseline)."""
