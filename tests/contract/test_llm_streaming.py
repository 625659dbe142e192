"""Streaming through the LLM port: the official OpenAI SDK against the wire fake's Responses
events (deltas, then `response.completed` with the usage), and google-genai against the
Gemini fake's `streamGenerateContent` chunks. Usage
is the terminal event's, recorded once; a refused stream is our error and counts for the
breaker."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from functions.kit.llm import gemini_provider, openai_provider
from functions.kit.llm.client import LLMClient
from functions.kit.llm.errors import LLMUnavailable
from functions.kit.llm.port import LLMRequest
from functions.kit.llm.usage import MemoryUsageRecorder
from tests.support.llm_fakes import API_KEY, SAMPLE_ANSWER, FakeGemini, FakeOpenAI, Reply

MODEL = "gpt-5-mini"


class Answer(BaseModel):
    text: str


def ask() -> LLMRequest:
    return LLMRequest(task="chat.answer", schema=Answer, system="너는 이코야.",
                      prompt="우유팩 어떻게 버려?", job_id="job-7")  # fmt: skip


async def test_openai_streams_deltas_and_records_the_terminal_usage() -> None:
    fake = FakeOpenAI()
    async with fake.running() as base_url:
        client = openai_provider.build_client(API_KEY, base_url, 10)
        usage = MemoryUsageRecorder()
        llm = LLMClient({"openai": openai_provider.OpenAIProvider(client)},
                        allowed_models=[MODEL], default_model=MODEL, usage=usage)  # fmt: skip
        deltas = [d async for d in llm.stream(ask(), "text")]
        await client.close()
    assert len(deltas) > 3 and "".join(deltas) == SAMPLE_ANSWER
    [call] = fake.received
    assert call.body["stream"] is True and "text" not in call.body  # plain text, no schema
    [record] = usage.records
    expected = fake.tokens(call, SAMPLE_ANSWER)
    assert (record.ok, record.input_tokens, record.output_tokens) == (True, *expected)


async def test_a_refused_stream_is_our_error_and_opens_the_breaker() -> None:
    fake = FakeOpenAI()
    fake.script(*[Reply(status=503)] * 2)
    async with fake.running() as base_url:
        client = openai_provider.build_client(API_KEY, base_url, 10)
        provider = openai_provider.OpenAIProvider(client)
        llm = LLMClient({"openai": provider}, allowed_models=[MODEL], default_model=MODEL,
                        breaker_failures=2)  # fmt: skip
        for _ in range(2):
            with pytest.raises(LLMUnavailable):
                _ = [d async for d in llm.stream(ask(), "text")]
        assert llm.breaker("openai").state == "open"
        await client.close()


async def test_gemini_streams_chunks_and_records_the_last_usage() -> None:
    fake = FakeGemini()
    async with fake.running() as base_url:
        client = gemini_provider.build_client(API_KEY, base_url, 10)
        usage = MemoryUsageRecorder()
        model = "gemini-2.5-flash"
        llm = LLMClient({"gemini": gemini_provider.GeminiProvider(client)},
                        allowed_models=[model], default_model=model, usage=usage)  # fmt: skip
        deltas = [d async for d in llm.stream(ask(), "text")]
        await client.aio.aclose()
    assert len(deltas) > 3 and "".join(deltas) == SAMPLE_ANSWER
    [call] = fake.received
    assert "responseMimeType" not in (call.body.get("generationConfig") or {})
    [record] = usage.records
    assert (record.ok, record.input_tokens, record.output_tokens) == (
        True, *fake.tokens(call, SAMPLE_ANSWER)
    )  # fmt: skip


async def test_a_stream_refused_before_its_first_delta_is_tried_again() -> None:
    """A transient failure before any text went out (here a 503; a refused connection alike)
    costs a retry, not the answer: the reader sees the whole text once."""
    fake = FakeOpenAI()
    fake.script(Reply(status=503))
    async with fake.running() as base_url:
        client = openai_provider.build_client(API_KEY, base_url, 10)
        usage = MemoryUsageRecorder()
        llm = LLMClient({"openai": openai_provider.OpenAIProvider(client)},
                        allowed_models=[MODEL], default_model=MODEL, usage=usage,
                        backoff_s=0.0)  # fmt: skip
        deltas = [d async for d in llm.stream(ask(), "text")]
        await client.close()
    assert "".join(deltas) == SAMPLE_ANSWER
    assert len(fake.received) == 2
    assert [r.ok for r in usage.records] == [False, True]
