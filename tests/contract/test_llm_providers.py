"""The LLM provider contract, on the offline provider and on the official OpenAI and Gemini
SDKs talking to local fakes of each API's wire format (tests/support/llm_fakes.py).

Every provider must return the request's schema as a model instance with its usage; remote
ones must send the image inline and turn each kind of wire failure into our errors. The
last tests run the whole client (retries, fallback, container wiring) over the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel

from eventing.catalog import default_catalog
from functions.kit.container import Container
from functions.kit.llm import gemini_provider, openai_provider
from functions.kit.llm.client import LLMClient
from functions.kit.llm.errors import LLMOutputError, LLMRejected, LLMUnavailable
from functions.kit.llm.offline_provider import OfflineProvider
from functions.kit.llm.port import ImageInput, LLMProvider, LLMRequest
from functions.kit.llm.usage import MemoryUsageRecorder
from functions.kit.registry import collect
from functions.kit.settings import Settings
from tests.support.llm_fakes import API_KEY, FakeGemini, FakeLLM, FakeOpenAI, Reply

SYSTEM = "너는 분리배출 도우미야."
PHOTO = ImageInput(data=b"\xff\xd8\xff\xe0 a tiny jpeg", mime_type="image/jpeg")
MODELS = {"offline": "offline", "openai": "gpt-5-mini", "gemini": "gemini-2.5-flash"}


class Kind(StrEnum):
    PAPER = "종이류"
    PLASTIC = "플라스틱류"


class Finding(BaseModel):
    kind: Kind
    name: str
    tags: list[str]
    confidence: float
    note: str | None = None


ANSWER: Mapping[str, Any] = {
    "kind": "플라스틱류",
    "name": "페트병",
    "tags": ["라벨_부착"],
    "confidence": 0.9,
    "note": None,
}


def ask(image: ImageInput | None = PHOTO, answer: Mapping[str, Any] = ANSWER) -> LLMRequest:
    return LLMRequest(
        task="scan.vision",
        schema=Finding,
        system=SYSTEM,
        prompt="사용자 메모: 페트병",
        image=image,
        offline=lambda r: answer,
        job_id="job-42",
    )


@dataclass
class Case:
    provider: LLMProvider
    model: str
    fake: FakeLLM | None  # None: the offline provider, nothing on the wire


@contextlib.asynccontextmanager
async def remote(name: str, timeout_s: float = 5.0, key: str = API_KEY) -> AsyncIterator[Case]:
    """A provider whose SDK client talks to a running fake of its API."""
    if name == "openai":
        fake: FakeLLM = FakeOpenAI()
        async with fake.running() as url:
            client = openai_provider.build_client(key, url, timeout_s)
            yield Case(openai_provider.OpenAIProvider(client), MODELS[name], fake)
            await client.close()
        return
    fake = FakeGemini()
    async with fake.running() as url:
        gclient = gemini_provider.build_client(key, url, timeout_s)
        yield Case(gemini_provider.GeminiProvider(gclient), MODELS[name], fake)
        await gclient.aio.aclose()


@pytest.fixture(params=["offline", "openai", "gemini"])
async def case(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    if request.param == "offline":
        yield Case(OfflineProvider(), "offline", None)
        return
    async with remote(request.param) as found:
        yield found


@pytest.fixture(params=["openai", "gemini"])
async def wire(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    async with remote(request.param) as found:
        yield found


def script(case: Case, *replies: Reply) -> None:
    if case.fake is not None:
        case.fake.script(*replies)


# --- every provider -----------------------------------------------------------------------


async def test_the_answer_is_an_instance_of_the_requested_schema(case: Case) -> None:
    script(case, Reply(output=ANSWER))
    result = await case.provider.generate(ask(), case.model)
    assert result.output == Finding.model_validate(ANSWER)
    assert result.output_as(Finding).kind is Kind.PLASTIC
    assert (result.provider, result.model) == (case.provider.name, case.model)


async def test_usage_is_reported(case: Case) -> None:
    script(case, Reply(output=ANSWER))
    result = await case.provider.generate(ask(), case.model)
    assert result.usage.input_tokens > 0
    assert result.usage.output_tokens > 0
    assert result.latency_s >= 0


async def test_an_answer_outside_the_schema_is_an_output_error(case: Case) -> None:
    script(case, Reply(output={"kind": "고철", "name": "캔"}))
    with pytest.raises(LLMOutputError):
        await case.provider.generate(ask(answer={"kind": "고철", "name": "캔"}), case.model)


# --- remote providers on the wire ---------------------------------------------------------


async def test_the_image_system_prompt_and_schema_reach_the_wire(wire: Case) -> None:
    await wire.provider.generate(ask(), wire.model)
    assert wire.fake is not None
    [seen] = wire.fake.received
    assert seen.model == wire.model
    assert seen.system == SYSTEM
    assert seen.texts == ("사용자 메모: 페트병",)
    [image] = seen.images
    assert (image.mime_type, image.data) == ("image/jpeg", PHOTO.data)
    assert seen.schema_name == "scan_vision"
    assert seen.schema["required"] == ["kind", "name", "tags", "confidence", "note"]


async def test_a_text_only_request_sends_no_image(wire: Case) -> None:
    await wire.provider.generate(ask(image=None), wire.model)
    assert wire.fake is not None and wire.fake.received[0].images == ()


async def test_the_fakes_default_answer_follows_the_requested_schema(wire: Case) -> None:
    result = await wire.provider.generate(ask(), wire.model)
    assert result.output == Finding(
        kind=Kind.PAPER, name="샘플", tags=["샘플"], confidence=0.0, note="샘플"
    )


async def test_malformed_json_is_an_output_error(wire: Case) -> None:
    script(wire, Reply(text='{"kind": "종이류", "name": '))
    with pytest.raises(LLMOutputError, match="does not match Finding"):
        await wire.provider.generate(ask(), wire.model)


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, LLMUnavailable), (500, LLMUnavailable), (503, LLMUnavailable), (400, LLMRejected)],
)
async def test_wire_statuses_become_our_errors(
    wire: Case, status: int, error: type[Exception]
) -> None:
    script(wire, Reply(status=status, message="Rate limit reached for org-secret"))
    with pytest.raises(error, match=f"HTTP {status}") as caught:
        await wire.provider.generate(ask(), wire.model)
    assert "org-secret" not in str(caught.value)  # the provider's message stays in the log


@pytest.mark.parametrize("name", ["openai", "gemini"])
async def test_a_wrong_key_is_a_refusal(name: str) -> None:
    async with remote(name, key="wrong-key") as found:
        with pytest.raises(LLMRejected):
            await found.provider.generate(ask(), found.model)


@pytest.mark.parametrize("name", ["openai", "gemini"])
async def test_a_slow_answer_times_out_in_the_sdk_as_unavailable(name: str) -> None:
    async with remote(name, timeout_s=0.3) as found:
        script(found, Reply(delay_s=30))
        started = time.perf_counter()
        with pytest.raises(LLMUnavailable, match="timed out"):
            await found.provider.generate(ask(), found.model)
        assert time.perf_counter() - started < 5


@pytest.mark.parametrize("name", ["openai", "gemini"])
async def test_connection_refused_is_unavailable(name: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens
    url = f"http://127.0.0.1:{port}"
    provider: LLMProvider
    if name == "openai":
        provider = openai_provider.OpenAIProvider(openai_provider.build_client(API_KEY, url, 2))
    else:
        provider = gemini_provider.GeminiProvider(gemini_provider.build_client(API_KEY, url, 2))
    with pytest.raises(LLMUnavailable):
        await provider.generate(ask(), MODELS[name])


async def test_the_fake_holds_many_concurrent_requests_at_its_schema_latency() -> None:
    fake = FakeOpenAI(latency_by_schema={"scan_vision": 0.5})
    async with fake.running() as url:
        client = openai_provider.build_client(API_KEY, url, 10)
        provider = openai_provider.OpenAIProvider(client)
        started = time.perf_counter()
        results = await asyncio.gather(
            *[provider.generate(ask(), "gpt-5-mini") for _ in range(200)]
        )
        elapsed = time.perf_counter() - started
        await client.close()
    assert len(results) == 200 and fake.counts["scan_vision"] == 200
    assert 0.5 <= elapsed < 5.0  # concurrent: about one latency, not 200
    assert len(fake.received) == fake.keep  # the record is bounded


# --- the client over the wire -------------------------------------------------------------


async def test_the_client_retries_a_rate_limit_on_the_wire() -> None:
    usage = MemoryUsageRecorder()
    async with remote("openai") as found:
        script(found, Reply(status=429), Reply(status=429))
        llm = LLMClient(
            {"openai": found.provider},
            allowed_models=["gpt-5-mini"],
            default_model="gpt-5-mini",
            backoff_s=0.0,
            usage=usage,
        )
        result = await llm.generate(ask())
        assert found.fake is not None and found.fake.counts["scan_vision"] == 3
    assert result.provider == "openai"
    assert [r.ok for r in usage.records] == [False, False, True]


async def test_the_client_falls_back_to_gemini_when_openai_is_down_on_the_wire() -> None:
    usage = MemoryUsageRecorder()
    async with remote("openai") as openai, remote("gemini") as gemini:
        script(openai, *[Reply(status=500) for _ in range(3)])
        llm = LLMClient(
            {"openai": openai.provider, "gemini": gemini.provider},
            allowed_models=["gpt-5-mini"],
            default_model="gpt-5-mini",
            backoff_s=0.0,
            fallback_models={"gemini": "gemini-2.5-flash"},
            usage=usage,
        )
        result = await llm.generate(ask())
        assert gemini.fake is not None and gemini.fake.received[0].images[0].data == PHOTO.data
    assert (result.provider, result.model, result.fallback_from) == (
        "gemini",
        "gemini-2.5-flash",
        "gpt-5-mini",
    )
    assert [(r.provider, r.ok) for r in usage.records] == [
        ("openai", False),
        ("openai", False),
        ("openai", False),
        ("gemini", True),
    ]


async def test_the_client_times_out_a_provider_that_hangs() -> None:
    async with remote("gemini", timeout_s=30) as found:
        script(found, *[Reply(delay_s=30) for _ in range(2)])
        llm = LLMClient(
            {"gemini": found.provider},
            allowed_models=["gemini-2.5-flash"],
            default_model="gemini-2.5-flash",
            timeout_s=0.2,
            retries=1,
            backoff_s=0.0,
        )
        with pytest.raises(LLMUnavailable, match=r"no answer in 0\.2s"):
            await llm.generate(ask())


async def test_the_container_wires_both_providers_from_settings() -> None:
    openai, gemini = FakeOpenAI(), FakeGemini()
    async with openai.running() as openai_url, gemini.running() as gemini_url:
        settings = Settings(
            mode="embedded",
            llm_default_model="gpt-5-mini",
            openai_api_key=API_KEY,
            openai_base_url=openai_url,
            gemini_api_key=API_KEY,
            gemini_base_url=gemini_url,
            llm_retries=0,
        )
        registry = collect(["functions.kit.llm.functions"], default_catalog())
        container = Container(settings, {}, registry.providers, registry.migrations)
        try:
            llm = await container.get("llm")
            first = await llm.generate(ask())
            second = await llm.generate(
                LLMRequest(
                    task="scan.answer",
                    schema=Finding,
                    system="",
                    prompt="?",
                    model=("gemini-2.5-flash"),
                )
            )
            usage = await container.get("llm_usage")
        finally:
            await container.close()
    assert (first.provider, second.provider) == ("openai", "gemini")
    assert openai.counts["scan_vision"] == 1 and gemini.counts["scan_answer"] == 1
    assert [r.job_id for r in usage.records] == ["job-42", None]
