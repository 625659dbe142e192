"""The offline provider's vision: the right major/middle category for every item of the
knowledge base named in the hint (and by each of its synonyms), 미분류 otherwise."""

from __future__ import annotations

import pytest

from functions.kit.llm.offline_provider import OfflineProvider
from functions.kit.llm.port import LLMRequest
from functions.scan import offline, prompts, stages
from functions.scan.knowledge.loader import load_knowledge
from functions.scan.knowledge.model import KnowledgeBase


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


async def classify(kb: KnowledgeBase, hint: str | None) -> tuple[str, str, str]:
    request = LLMRequest(task="scan.vision", schema=prompts.VisionOutput, system="", prompt="",
                         model="offline", offline=offline.vision(kb, hint))  # fmt: skip
    result = await OfflineProvider().generate(request, "offline")
    found = stages.normalize(kb, result.output_as(prompts.VisionOutput))
    return found.major_category, found.middle_category, found.minor_category


async def test_every_item_named_in_the_hint_gets_its_categories(kb: KnowledgeBase) -> None:
    wrong = []
    for item in kb.items:
        for name in (item.name, *item.synonyms):
            got = await classify(kb, f"이거 {name} 어떻게 버려요?")
            if got != (item.major, item.middle, item.name):
                wrong.append((name, got))
    assert wrong == []


@pytest.mark.parametrize("hint", [None, "", "이거 뭐예요?", "asdf"])
async def test_without_a_known_item_it_is_unclassified(kb: KnowledgeBase, hint: str | None) -> None:
    assert await classify(kb, hint) == ("미분류", "미분류", "미분류")
