"""What the knowledge base says an answer should contain, for the situation it answers.

The graders never trust the answer's own category: the rule engine is run again on the item
and its tags (the KB is reviewed data), which gives the rule document, the expected steps and
the tags that apply. Pure: a knowledge base and a rule engine in, a `Grounding` out.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.eval.data import When
from functions.eval.korean import instruction, squeeze
from functions.eval.model import Situation
from functions.scan.knowledge.engine import FALLBACK_STEPS, RuleEngine
from functions.scan.knowledge.model import KnowledgeBase, RuleDocument
from functions.scan.knowledge.taxonomy import UNCLASSIFIED
from functions.scan.offline import GENERIC_STEPS


@dataclass(frozen=True)
class Grounding:
    document: RuleDocument | None
    subgroup: str | None  # the item's subgroup in its own document
    tags: tuple[str, ...]  # the situation tags that apply (KB order)
    major: str
    middle: str
    expected_steps: tuple[str, ...]
    insufficiencies: tuple[str, ...]  # what the KB says is wrong with the item as it is
    allowed_steps: frozenset[str]  # `instruction`s: every step a consistent answer may give
    texts: str  # every KB text of the document and the applied tags, squeezed

    def applies(self, when: When) -> bool:
        if when.always:
            return True
        key = self.document.key if self.document else None
        return (
            key in when.rules
            or (self.subgroup is not None and self.subgroup in when.subgroups)
            or any(t in when.tags for t in self.tags)
        )

    @property
    def bin_names(self) -> tuple[str, ...]:
        """The names the expected destination goes by: middle, major, the document's name."""
        names = [self.middle, self.major]
        if self.document is not None:
            names.append(self.document.display_name)
        return tuple(dict.fromkeys(names))


def ground(kb: KnowledgeBase, engine: RuleEngine, situation: Situation) -> Grounding:
    outcome = engine.apply(
        situation.major or UNCLASSIFIED, situation.middle or UNCLASSIFIED, situation.item,
        situation.tags,
    )  # fmt: skip
    document = outcome.document
    item = kb.resolve(situation.item) if situation.item else None
    home = item is not None and document is not None and (
        (item.major, item.middle) == (document.major, document.middle)
    )  # fmt: skip
    subgroup = item.subgroup if home and item is not None else None
    steps = list(FALLBACK_STEPS) + list(GENERIC_STEPS)
    texts: list[str] = []
    if document is not None:
        steps += [*document.steps, *(s for g in document.subgroups.values() for s in g.steps)]
        texts += [*document.targets, *document.notes]
        texts += [f"{n.item} {n.instead} {n.reason}" for n in document.not_accepted]
    tag_steps = [s for code in outcome.applied_tags for s in kb.tags[code].steps]
    steps += tag_steps
    return Grounding(
        document=document,
        subgroup=subgroup,
        tags=outcome.applied_tags,
        major=outcome.major,
        middle=outcome.middle,
        expected_steps=outcome.disposal_steps,
        insufficiencies=outcome.insufficiencies,
        allowed_steps=frozenset(instruction(s) for s in steps),
        texts=squeeze(" ".join([*texts, *steps])),
    )
