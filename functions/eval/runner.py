"""`eco2 eval`: the three tiers over the golden sets and the calibration set, for one
provider/model, written as report.json + report.md + plots, compared with the previous run.

The answers are written by the product's own code (offline pipeline, or the answer stages'
prompts sent to the model); each is graded by the tier-1 checks and, criterion by criterion,
by the judge; the judge is then measured against the labelled set.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from functions.eval import answers, calibrate, data, graders
from functions.eval.grounding import ground
from functions.eval.judge import Judge
from functions.eval.model import CRITERIA, SCALE, Answer, Graded
from functions.kit.llm.port import LLM
from functions.scan.knowledge.engine import RuleEngine
from functions.scan.knowledge.model import KnowledgeBase

T = TypeVar("T")
REPORT_JSON = "report.json"


@dataclass(frozen=True)
class RunConfig:
    provider: str
    model: str
    judge_model: str
    out: Path
    baseline: Path | None = None  # default: the previous report.json in `out`
    golden: Path | None = None
    calibration: Path | None = None
    concurrency: int = 8


async def _bounded(jobs: Sequence[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    gate = asyncio.Semaphore(max(1, limit))

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(one(j) for j in jobs)))


class Evaluation:
    def __init__(self, kb: KnowledgeBase, llm: LLM, config: RunConfig) -> None:
        self._kb = kb
        self._engine = RuleEngine(kb)
        self._llm = llm
        self._config = config
        self._judge = Judge(llm, config.judge_model)

    async def grade(self, answer: Answer) -> Graded:
        grounding = ground(self._kb, self._engine, answer.situation)
        checks = graders.grade(answer, grounding)
        judged, rejected = await self._judge.judge_all(answer, grounding, checks)
        return Graded(answer, tuple(checks), judged, rejected)

    async def golden(self) -> dict[str, list[Graded]]:
        golden = data.golden(self._config.golden)
        kb, engine, llm, model = self._kb, self._engine, self._llm, self._config.model
        limit = self._config.concurrency
        scan = [partial(answers.write_scan, kb, engine, c, llm, model) for c in golden.scan]
        chat = [partial(answers.write_chat, kb, engine, c, llm, model) for c in golden.chat]
        out = {}
        for name, jobs in (("scan", scan), ("chat", chat)):
            written = await _bounded(jobs, limit)
            out[name] = await _bounded([partial(self.grade, a) for a in written], limit)
        return out

    async def calibration(self) -> tuple[list[Graded], list[calibrate.Agreement]]:
        labelled = data.labelled(self._config.calibration)
        graded = await _bounded(
            [partial(self.grade, calibrate.to_answer(e)) for e in labelled],
            self._config.concurrency,
        )
        return graded, calibrate.agree(graded, labelled)


def summarize(graded: Sequence[Graded]) -> dict[str, Any]:
    """One golden set's figures: tier-1 pass rate and failures, score distributions, means."""
    failures = [{"id": g.answer.id, "check": c.name, "detail": c.detail}
                for g in graded for c in g.checks if not c.passed]  # fmt: skip
    criteria: dict[str, Any] = {}
    for criterion in CRITERIA:
        scores = [g.judgements[criterion].score for g in graded if criterion in g.judgements]
        counts = Counter(scores)
        criteria[criterion] = {
            "mean": sum(scores) / len(scores) if scores else None,
            "distribution": {str(s): counts.get(s, 0) for s in SCALE},
            "rejected": sum(criterion in g.rejected for g in graded),
        }
    return {
        "n": len(graded),
        "tier1_pass_rate": sum(g.passed for g in graded) / len(graded) if graded else None,
        "tier1_failures": failures,
        "criteria": criteria,
        "answers": {
            g.answer.id: {"failed": list(g.failed_checks), "scores": g.scores()} for g in graded
        },
    }


async def evaluate(kb: KnowledgeBase, llm: LLM, config: RunConfig) -> dict[str, Any]:
    """Everything the report needs, as JSON-ready data."""
    started = datetime.now(UTC)
    evaluation = Evaluation(kb, llm, config)
    golden = await evaluation.golden()
    graded, agreements = await evaluation.calibration()
    return {
        "run": {"provider": config.provider, "model": config.model,
                "judge_model": config.judge_model, "started_at": started.isoformat(),
                "seconds": round((datetime.now(UTC) - started).total_seconds(), 2)},
        "golden": {name: summarize(items) for name, items in golden.items()},
        "calibration": {
            "n": len(graded),
            "tier1_pass_rate": sum(g.passed for g in graded) / len(graded) if graded else None,
            "agreement": [asdict(a) for a in agreements],
        },
    }  # fmt: skip


def previous(config: RunConfig) -> dict[str, Any] | None:
    """The run to compare with: `--baseline`, else the report.json already in `--out`."""
    path = config.baseline or config.out / REPORT_JSON
    if not path.exists():
        return None
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return found
