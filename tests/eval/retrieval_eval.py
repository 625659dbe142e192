"""Accuracy of the offline classifier on everyday Korean phrasings, before and after the
Korean retriever (ADR 0016), overall and by kind of phrasing.

    uv run python -m tests.eval.retrieval_eval [--holdout] [--failures]

Each phrasing goes through what a scan does without a model: the offline vision (old: substring
lookup, `substring.py`; new: `knowledge.retrieval`), the knowledge base's normalisation and the
rule engine. It is right when the final category and the reward decision both match.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from functions.scan import offline, prompts, stages
from functions.scan.knowledge.engine import RuleEngine
from functions.scan.knowledge.loader import load_knowledge
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.knowledge.taxonomy import RECYCLABLE
from tests.eval import substring

PHRASES = Path(__file__).with_name("retrieval_phrases.yaml")
HOLDOUT = Path(__file__).with_name("retrieval_holdout.yaml")  # never used to tune the rules
Vision = Callable[[KnowledgeBase, str], Mapping[str, Any]]


@dataclass(frozen=True)
class Case:
    text: str
    kind: str
    expect: str
    reward: bool


@dataclass(frozen=True)
class Verdict:
    case: Case
    category: str
    reward: bool

    @property
    def right(self) -> bool:
        return self.category == self.case.expect and self.reward == self.case.reward


def load_cases(path: Path = PHRASES) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["phrases"]
    return [Case(str(r["text"]), r["kind"], r["expect"], bool(r["reward"])) for r in raw]


def old_vision(kb: KnowledgeBase, text: str) -> Mapping[str, Any]:
    return substring.vision(kb, text)


def new_vision(kb: KnowledgeBase, text: str) -> Mapping[str, Any]:
    request: Any = None  # the offline answer never reads the request
    return offline.vision(kb, text)(request)


def judge(kb: KnowledgeBase, vision: Vision, case: Case) -> Verdict:
    """The category the rules end in and whether a character would be granted."""
    found = stages.normalize(kb, prompts.VisionOutput.model_validate(vision(kb, case.text)))
    outcome = RuleEngine(kb).apply(
        found.major_category, found.middle_category, found.minor_category,
        found.situation_tags,
    )  # fmt: skip
    reward = outcome.major == RECYCLABLE and outcome.document is not None
    return Verdict(case, outcome.middle, reward and not outcome.insufficiencies)


def accuracy(verdicts: list[Verdict]) -> float:
    return sum(v.right for v in verdicts) / len(verdicts) if verdicts else 0.0


def evaluate(kb: KnowledgeBase, vision: Vision, cases: list[Case]) -> list[Verdict]:
    return [judge(kb, vision, case) for case in cases]


def report(old: list[Verdict], new: list[Verdict]) -> str:
    kinds: dict[str, list[int]] = defaultdict(list)
    for index, verdict in enumerate(new):
        kinds[verdict.case.kind].append(index)
    lines = [
        "old: the substring lookup (tests/eval/substring.py); new: knowledge.retrieval",
        f"{'kind':<12}{'n':>5}{'old':>10}{'new':>10}",
    ]
    for kind, indexes in kinds.items():
        before = accuracy([old[i] for i in indexes])
        after = accuracy([new[i] for i in indexes])
        lines.append(f"{kind:<12}{len(indexes):>5}{before:>10.1%}{after:>10.1%}")
    lines.append(f"{'all':<12}{len(new):>5}{accuracy(old):>10.1%}{accuracy(new):>10.1%}")
    category = sum(v.category == v.case.expect for v in new) / len(new)
    reward = sum(v.reward == v.case.reward for v in new) / len(new)
    lines.append(f"new: category right {category:.1%}, reward decision right {reward:.1%}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", action="store_true", help="list what each gets wrong")
    parser.add_argument("--holdout", action="store_true", help="the held-out phrasings")
    args = parser.parse_args()
    kb, cases = load_knowledge(), load_cases(HOLDOUT if args.holdout else PHRASES)
    old, new = evaluate(kb, old_vision, cases), evaluate(kb, new_vision, cases)
    print(report(old, new))
    if args.failures:
        for name, verdicts in (("old", old), ("new", new)):
            for v in verdicts:
                if not v.right:
                    print(f"{name}: {v.case.text!r} [{v.case.kind}] → {v.category}, reward "
                          f"{v.reward} (want {v.case.expect}, {v.case.reward})")  # fmt: skip


if __name__ == "__main__":
    main()
