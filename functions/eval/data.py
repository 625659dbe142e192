"""The eval domain's data files (functions/eval/data/), read and validated: the rubric, the
required warnings and forbidden advice (tier 1), the golden sets and the labelled set.

Files ship with the package so `eco2 eval` works from an installed checkout; each is parsed
into pydantic models so a typo fails loudly, naming the file."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from functions.eval.errors import EvalDataError
from functions.eval.model import CRITERIA, SCALE, Rubric

DATA = Path(__file__).with_name("data")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class When(_Frozen):
    """The situations a requirement applies in: rule document keys, item subgroups, tags."""

    rules: tuple[str, ...] = ()
    subgroups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    always: bool = False


class RequiredWarning(_Frozen):
    code: str
    label: str
    when: When
    mention: tuple[str, ...] = Field(min_length=1)
    source: str


class Forbidden(_Frozen):
    code: str
    label: str
    when: When
    pattern: str
    unless: tuple[str, ...] = ()
    source: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        re.compile(value)
        return value


class Requirements(_Frozen):
    warnings: tuple[RequiredWarning, ...]
    forbidden: tuple[Forbidden, ...]


class GoldenScan(_Frozen):
    """A scan of the golden set: the user's note (vision reads it offline) and, optionally,
    situation tags the photo would show."""

    id: str
    hint: str
    tags: tuple[str, ...] = ()


class GoldenChat(_Frozen):
    id: str
    message: str


class Golden(_Frozen):
    scan: tuple[GoldenScan, ...]
    chat: tuple[GoldenChat, ...]


class Labelled(_Frozen):
    """One answer of the calibration set with a reviewer's 1–5 label per criterion."""

    id: str
    kind: Literal["scan", "chat"]
    origin: str  # "pipeline" or "flawed:<what was broken>"
    question: str
    item: str | None = None
    tags: tuple[str, ...] = ()
    major: str | None = None
    middle: str | None = None
    steps: tuple[str, ...] = ()
    insufficiencies: tuple[str, ...] = ()
    reply: str
    labels: dict[str, int]
    rationale: str = Field(min_length=1)

    @field_validator("labels")
    @classmethod
    def _every_criterion(cls, value: dict[str, int]) -> dict[str, int]:
        if set(value) != set(CRITERIA) or any(v not in SCALE for v in value.values()):
            raise ValueError(f"labels need each of {CRITERIA} on 1..5, got {value}")
        return value


def _read(name: str, path: Path | None = None) -> Any:
    target = path or DATA / name
    try:
        return yaml.safe_load(target.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EvalDataError(f"{target}: {exc}") from exc


def _parse(model: type[_Frozen] | type[Rubric], name: str, raw: Any) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise EvalDataError(f"{name}: {exc}") from exc


@cache
def rubric() -> Rubric:
    found: Rubric = _parse(Rubric, "rubric.yaml", _read("rubric.yaml"))
    codes = tuple(c.code for c in found.criteria)
    if codes != CRITERIA or any(set(c.levels) != set(SCALE) for c in found.criteria):
        raise EvalDataError(f"rubric.yaml: need criteria {CRITERIA}, each with levels 1..5")
    return found


@cache
def requirements() -> Requirements:
    raw = {**_read("warnings.yaml"), **_read("forbidden.yaml")}
    found: Requirements = _parse(Requirements, "warnings.yaml/forbidden.yaml", raw)
    return found


def golden(path: Path | None = None) -> Golden:
    found: Golden = _parse(Golden, "golden.yaml", _read("golden.yaml", path))
    return found


def labelled(path: Path | None = None) -> tuple[Labelled, ...]:
    raw = _read("calibration.yaml", path)
    try:
        return tuple(Labelled.model_validate(r) for r in raw["answers"])
    except (ValidationError, KeyError, TypeError) as exc:
        raise EvalDataError(f"calibration.yaml: {exc}") from exc
