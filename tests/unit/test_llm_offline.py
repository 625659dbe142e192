"""The offline provider: the domain's deterministic answer, after the configured latency."""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import BaseModel

from functions.kit.llm.errors import LLMOutputError
from functions.kit.llm.offline_provider import OfflineProvider
from functions.kit.llm.port import ImageInput, LLMRequest


class Answer(BaseModel):
    steps: list[str]
    reply: str


def request(task: str = "scan.answer", **changes: object) -> LLMRequest:
    base: dict[str, object] = {
        "task": task,
        "schema": Answer,
        "system": "s" * 40,
        "prompt": "p" * 40,
        "offline": lambda r: {"steps": ["헹군다", "버린다"], "reply": f"{r.task} 완료"},
    }
    return LLMRequest(**{**base, **changes})  # type: ignore[arg-type]


async def test_it_answers_what_the_domain_supplied_validated_against_the_schema() -> None:
    result = await OfflineProvider().generate(request(), "offline")
    assert result.output == Answer(steps=["헹군다", "버린다"], reply="scan.answer 완료")
    assert (result.provider, result.model, result.fallback_from) == ("offline", "offline", None)


async def test_the_same_request_gets_the_same_answer() -> None:
    provider = OfflineProvider()
    first, second = [await provider.generate(request(), "offline") for _ in range(2)]
    assert first.output == second.output and first.usage == second.usage


async def test_usage_is_a_character_based_estimate_with_images_counted() -> None:
    text_only = await OfflineProvider().generate(request(), "offline")
    assert text_only.usage.input_tokens == 80 // 4
    assert text_only.usage.output_tokens > 0
    image = ImageInput(b"jpeg", "image/jpeg")
    with_image = await OfflineProvider().generate(request(image=image), "offline")
    assert with_image.usage.input_tokens > text_only.usage.input_tokens


async def test_no_answer_from_the_domain_is_an_output_error() -> None:
    with pytest.raises(LLMOutputError, match=r"no answer for task scan\.vision"):
        await OfflineProvider().generate(request("scan.vision", offline=None), "offline")


async def test_an_answer_outside_the_schema_is_an_output_error() -> None:
    with pytest.raises(LLMOutputError, match="at reply"):
        await OfflineProvider().generate(request(offline=lambda r: {"steps": []}), "offline")


async def test_latency_is_per_task_with_a_default_and_requests_overlap() -> None:
    provider = OfflineProvider(latency_s=0.05, latency_by_task={"scan.answer": 0.2})
    assert provider.latency_for("scan.vision") == 0.05
    assert provider.latency_for("scan.answer") == 0.2
    started = time.perf_counter()
    results = await asyncio.gather(*[provider.generate(request(), "offline") for _ in range(50)])
    elapsed = time.perf_counter() - started
    assert 0.2 <= elapsed < 1.0  # 50 concurrent answers take one latency, not fifty
    assert all(r.latency_s >= 0.2 for r in results)
