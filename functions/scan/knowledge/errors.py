"""The knowledge package's one base exception."""

from __future__ import annotations

from collections.abc import Iterable


class KnowledgeError(ValueError):
    """The knowledge data breaks its rules; `problems` lists every one found, not just the
    first, so whoever edits the data fixes them in one pass."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"the knowledge base is invalid ({len(self.problems)} problems):\n{lines}")
