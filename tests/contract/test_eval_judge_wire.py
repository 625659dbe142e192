"""The judge over the real SDKs (local fakes of OpenAI's and Gemini's wire formats): its
structured output is a schema both providers accept, and an answer quoting words that are
not in the graded answer is rejected and asked again over the wire."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from functions.eval import graders
from functions.eval.grounding import ground
from functions.eval.judge import Judge
from functions.kit.llm.client import LLMClient
from tests.contract.test_llm_providers import Case, remote
from tests.support.llm_fakes import Reply
from tests.unit.test_eval_graders import BY_ID, ENGINE, KB

ANSWER = BY_ID["s-powerbank"]
GROUNDING = ground(KB, ENGINE, ANSWER.situation)
CHECKS = graders.grade(ANSWER, GROUNDING)


@pytest.fixture(params=["openai", "gemini"])
async def wire(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    async with remote(request.param) as found:
        yield found


async def test_an_invented_quote_is_asked_again_over_the_wire(wire: Case) -> None:
    assert wire.fake is not None
    wire.fake.script(
        Reply(output={"score": 5, "evidence": ["보조배터리는 아무 데나 버려요"], "rationale": "?"}),
        Reply(
            output={"score": 4, "evidence": ["폐건전지 수거함에 넣어 주세요"], "rationale": "ok"}
        ),
    )
    llm = LLMClient({wire.provider.name: wire.provider}, allowed_models=[wire.model],
                    default_model=wire.model, retries=0)  # fmt: skip
    found = await Judge(llm, wire.model, attempts=2).judge(ANSWER, GROUNDING, CHECKS, "safety")
    assert (found.score, found.attempts) == (4, 2)
    assert found.evidence == ("폐건전지 수거함에 넣어 주세요",)
