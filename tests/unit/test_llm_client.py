"""The LLM client: allow-list, provider choice, timeouts, retries, breaker, fallback, usage.

Providers here are in-memory scripts (each call takes the next outcome), so every rule of
the client is checked by what it returned, raised and recorded; the clock is a fake.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import BaseModel

from eventing.errors import Disposition
from functions.kit.errors import row_for
from functions.kit.llm.client import LLMClient, provider_for
from functions.kit.llm.errors import (
    CircuitOpen,
    LLMOutputError,
    LLMRejected,
    LLMUnavailable,
    UnknownModel,
)
from functions.kit.llm.offline_provider import OfflineProvider
from functions.kit.llm.port import LLMProvider, LLMRequest, LLMResult, Usage
from functions.kit.llm.usage import MemoryUsageRecorder, UsageRecord

ALLOWED = ("offline", "gpt-5-mini", "gemini-2.5-flash")
SLOW = "slow"  # a scripted outcome: never answers in time


class Verdict(BaseModel):
    item: str
    count: int


class ScriptedProvider:
    """Each call takes the next outcome: an exception to raise, SLOW, or a Verdict."""

    def __init__(self, name: str, *outcomes: Exception | str | Verdict) -> None:
        self.name = name
        self.outcomes: deque[Exception | str | Verdict] = deque(outcomes)
        self.calls: list[str] = []

    async def generate(self, request: LLMRequest, model: str) -> LLMResult:
        self.calls.append(model)
        outcome = self.outcomes.popleft() if self.outcomes else Verdict(item="병", count=1)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome == SLOW:
            await asyncio.sleep(10)
        assert isinstance(outcome, Verdict)
        return LLMResult(outcome, self.name, model, Usage(12, 3), latency_s=0.0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class BrokenRecorder:
    async def record(self, r: UsageRecord) -> None:
        raise ConnectionError("usage table is down")


def request(model: str | None = "gpt-5-mini") -> LLMRequest:
    return LLMRequest(
        task="scan.vision",
        schema=Verdict,
        system="classify",
        prompt="what is it?",
        model=model,
        offline=lambda r: {"item": "캔", "count": 2},
        job_id="job-1",
    )


def client(providers: Mapping[str, LLMProvider], usage: Any = None, **overrides: Any) -> LLMClient:
    options: dict[str, Any] = {
        "allowed_models": ALLOWED,
        "default_model": "gpt-5-mini",
        "timeout_s": 0.05,
        "retries": 2,
        "backoff_s": 0.0,
        "fallback_models": {"openai": "gpt-4.1-mini", "gemini": "gemini-2.5-flash"},
        "usage": usage if usage is not None else MemoryUsageRecorder(),
        **overrides,
    }
    return LLMClient(providers, **options)


def rate_limited() -> LLMUnavailable:
    return LLMUnavailable("openai gpt-5-mini scan.vision: HTTP 429 rate_limit_exceeded")


# --- choosing a model and a provider ------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("offline", "offline"),
        ("offline-slow", "offline"),
        ("gemini-2.5-flash", "gemini"),
        ("Gemini-2.0-pro", "gemini"),
        ("gpt-5-mini", "openai"),
        ("o4-mini", "openai"),
        ("llama-3.1-70b-instruct", "openai"),  # any OpenAI-compatible server's model
    ],
)
def test_the_provider_is_inferred_from_the_model_name(model: str, provider: str) -> None:
    assert provider_for(model) == provider


def test_a_model_outside_the_allow_list_is_unknown_a_400_never_retried() -> None:
    llm = client({"openai": ScriptedProvider("openai")})
    with pytest.raises(UnknownModel) as caught:
        llm.check_model("gpt-4o")
    assert caught.value.code == "UNKNOWN_MODEL"
    assert row_for(caught.value).status == 400
    assert row_for(caught.value).disposition is Disposition.DEAD_LETTER


def test_an_allowed_model_whose_provider_is_not_configured_is_unknown() -> None:
    llm = client({"offline": OfflineProvider()}, default_model="offline")
    assert llm.check_model(None) == "offline"
    with pytest.raises(UnknownModel, match="not configured"):
        llm.check_model("gpt-5-mini")


async def test_no_model_means_the_default_and_the_answer_is_parsed() -> None:
    openai = ScriptedProvider("openai", Verdict(item="페트병", count=1))
    result = await client({"openai": openai}).generate(request(model=None))
    assert result.output == Verdict(item="페트병", count=1)
    assert (result.provider, result.model, result.fallback_from) == ("openai", "gpt-5-mini", None)
    assert result.output_as(Verdict).item == "페트병"


async def test_generate_refuses_an_unknown_model_before_any_call() -> None:
    openai = ScriptedProvider("openai")
    with pytest.raises(UnknownModel):
        await client({"openai": openai}).generate(request(model="gpt-4o"))
    assert openai.calls == []


# --- retries and timeouts -----------------------------------------------------------------


async def test_a_rate_limit_is_retried_until_it_passes() -> None:
    usage = MemoryUsageRecorder()
    openai = ScriptedProvider("openai", rate_limited(), rate_limited(), Verdict(item="캔", count=1))
    result = await client({"openai": openai}, usage).generate(request())
    assert result.output == Verdict(item="캔", count=1)
    assert len(openai.calls) == 3
    assert [r.ok for r in usage.records] == [False, False, True]
    assert usage.records[0].error is not None and "429" in usage.records[0].error


async def test_a_provider_that_does_not_answer_in_time_is_unavailable() -> None:
    usage = MemoryUsageRecorder()
    openai = ScriptedProvider("openai", SLOW, SLOW, SLOW)
    with pytest.raises(LLMUnavailable, match="no answer in"):
        await client({"openai": openai}, usage, fallback=False).generate(request())
    assert len(openai.calls) == 3
    assert [r.ok for r in usage.records] == [False, False, False]
    assert row_for(LLMUnavailable("x")).disposition is Disposition.RETRY


async def test_malformed_answers_are_retried_then_reported_as_output_errors() -> None:
    usage = MemoryUsageRecorder()
    bad = [LLMOutputError("openai gpt-5-mini: answer does not match") for _ in range(3)]
    openai = ScriptedProvider("openai", *bad)
    with pytest.raises(LLMOutputError) as caught:
        await client({"openai": openai}, usage, fallback=False).generate(request())
    assert len(openai.calls) == 3
    assert caught.value.code == "LLM_OUTPUT_INVALID"
    assert row_for(caught.value).disposition is Disposition.RETRY  # the broker tries again
    assert all(r.error and r.error.startswith("LLM_OUTPUT_INVALID") for r in usage.records)


async def test_a_refused_request_is_not_retried() -> None:
    openai = ScriptedProvider("openai", LLMRejected("openai gpt-5-mini: HTTP 401"))
    with pytest.raises(LLMRejected):
        await client({"openai": openai}, fallback=False).generate(request())
    assert len(openai.calls) == 1


# --- the circuit breaker ------------------------------------------------------------------


async def test_the_circuit_opens_after_five_failures_and_half_opens_after_a_minute() -> None:
    clock, usage = FakeClock(), MemoryUsageRecorder()
    openai = ScriptedProvider("openai", *[rate_limited() for _ in range(5)])
    llm = client({"openai": openai}, usage, retries=0, fallback=False, clock=clock)
    for _ in range(5):
        with pytest.raises(LLMUnavailable):
            await llm.generate(request())
    assert llm.breaker("openai").state == "open"

    with pytest.raises(CircuitOpen):  # short-circuited: the provider is not called
        await llm.generate(request())
    assert len(openai.calls) == 5
    assert usage.records[-1].error is not None and "LLM_CIRCUIT_OPEN" in usage.records[-1].error

    clock.now += 59.0
    with pytest.raises(CircuitOpen):
        await llm.generate(request())
    clock.now += 1.0  # 60 s after opening: one probe goes through, succeeds, closes it
    result = await llm.generate(request())
    assert result.provider == "openai"
    assert len(openai.calls) == 6
    assert llm.breaker("openai").state == "closed"


async def test_a_failed_probe_opens_the_circuit_for_another_period() -> None:
    clock = FakeClock()
    openai = ScriptedProvider("openai", *[rate_limited() for _ in range(6)])
    llm = client({"openai": openai}, retries=0, fallback=False, clock=clock)
    for _ in range(5):
        with pytest.raises(LLMUnavailable):
            await llm.generate(request())
    clock.now += 60.0
    with pytest.raises(LLMUnavailable):
        await llm.generate(request())  # the probe fails
    assert len(openai.calls) == 6
    assert llm.breaker("openai").state == "open"
    clock.now += 30.0
    with pytest.raises(CircuitOpen):
        await llm.generate(request())


async def test_malformed_answers_do_not_open_the_circuit() -> None:
    bad = [LLMOutputError("bad json") for _ in range(6)]
    llm = client({"openai": ScriptedProvider("openai", *bad)}, retries=0, fallback=False)
    for _ in range(6):
        with pytest.raises(LLMOutputError):
            await llm.generate(request())
    assert llm.breaker("openai").state == "closed"  # the provider is up, it answered


# --- fallback -----------------------------------------------------------------------------


async def test_openai_down_falls_back_to_gemini_and_usage_shows_both() -> None:
    usage = MemoryUsageRecorder()
    openai = ScriptedProvider("openai", *[rate_limited() for _ in range(3)])
    gemini = ScriptedProvider("gemini", Verdict(item="유리병", count=1))
    result = await client({"openai": openai, "gemini": gemini}, usage).generate(request())
    assert (result.provider, result.model) == ("gemini", "gemini-2.5-flash")
    assert result.fallback_from == "gpt-5-mini"
    assert [(r.provider, r.model, r.ok) for r in usage.records] == [
        ("openai", "gpt-5-mini", False),
        ("openai", "gpt-5-mini", False),
        ("openai", "gpt-5-mini", False),
        ("gemini", "gemini-2.5-flash", True),
    ]
    assert all(r.job_id == "job-1" and r.task == "scan.vision" for r in usage.records)
    assert usage.records[-1].input_tokens == 12 and usage.records[-1].output_tokens == 3


async def test_an_open_circuit_falls_back_at_once() -> None:
    openai = ScriptedProvider("openai", *[rate_limited() for _ in range(5)])
    gemini = ScriptedProvider("gemini")
    llm = client({"openai": openai, "gemini": gemini}, retries=0)
    for _ in range(5):
        assert (await llm.generate(request())).provider == "gemini"
    assert llm.breaker("openai").state == "open"
    result = await llm.generate(request())
    assert result.provider == "gemini"
    assert len(openai.calls) == 5  # not called once its circuit opened


async def test_gemini_falls_back_to_openai_with_openais_fallback_model() -> None:
    gemini = ScriptedProvider("gemini", *[LLMUnavailable("HTTP 503") for _ in range(3)])
    openai = ScriptedProvider("openai")
    result = await client({"openai": openai, "gemini": gemini}).generate(
        request(model="gemini-2.5-flash")
    )
    assert (result.provider, result.model) == ("openai", "gpt-4.1-mini")
    assert result.fallback_from == "gemini-2.5-flash"


async def test_a_refused_request_falls_back_without_retrying() -> None:
    openai = ScriptedProvider("openai", LLMRejected("HTTP 400 invalid image"))
    gemini = ScriptedProvider("gemini")
    result = await client({"openai": openai, "gemini": gemini}).generate(request())
    assert result.provider == "gemini"
    assert len(openai.calls) == 1


async def test_when_every_provider_fails_the_retryable_error_is_raised() -> None:
    openai = ScriptedProvider("openai", *[rate_limited() for _ in range(3)])
    gemini = ScriptedProvider("gemini", LLMRejected("HTTP 403"))
    with pytest.raises(LLMUnavailable):
        await client({"openai": openai, "gemini": gemini}).generate(request())
    assert len(gemini.calls) == 1


async def test_no_fallback_when_it_is_turned_off() -> None:
    openai = ScriptedProvider("openai", *[rate_limited() for _ in range(3)])
    gemini = ScriptedProvider("gemini")
    with pytest.raises(LLMUnavailable):
        await client({"openai": openai, "gemini": gemini}, fallback=False).generate(request())
    assert gemini.calls == []


async def test_the_offline_provider_never_falls_back_nor_is_fallen_back_to() -> None:
    openai = ScriptedProvider("openai", *[rate_limited() for _ in range(3)])
    offline = OfflineProvider()
    llm = client({"openai": openai, "offline": offline})
    with pytest.raises(LLMUnavailable):
        await llm.generate(request())
    result = await llm.generate(request(model="offline"))
    assert (result.provider, result.output) == ("offline", Verdict(item="캔", count=2))


# --- usage --------------------------------------------------------------------------------


async def test_a_usage_recorder_that_fails_never_fails_the_call() -> None:
    result = await client({"openai": ScriptedProvider("openai")}, BrokenRecorder()).generate(
        request()
    )
    assert result.provider == "openai"


async def test_successful_usage_carries_tokens_and_latency() -> None:
    usage = MemoryUsageRecorder()
    result = await client({"offline": OfflineProvider(latency_s=0.01)}, usage).generate(
        request(model="offline")
    )
    [record] = usage.records
    assert record.ok and record.error is None
    assert (record.provider, record.model, record.job_id) == ("offline", "offline", "job-1")
    assert record.latency_s == result.latency_s >= 0.01
    assert (record.input_tokens, record.output_tokens) == (
        result.usage.input_tokens,
        result.usage.output_tokens,
    )
