"""Tool calling, structured output with tools, native web search, the image model and the
run ledger, through the official SDKs against the wire fakes (OpenAI Responses function
calls, Gemini function declarations): the calls come back as `ToolCall`s, our answers go on
the next request in the provider's own format, and every call's usage lands in the ledger
with its cost from the price table."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from functions.kit.llm import gemini_provider, openai_provider
from functions.kit.llm.client import LLMClient
from functions.kit.llm.errors import UnknownModel
from functions.kit.llm.ledger import cost_usd, load_prices
from functions.kit.llm.offline_provider import OfflineProvider
from functions.kit.llm.port import (
    FunctionTool,
    ImageRequest,
    LLMProvider,
    LLMRequest,
    Source,
    ToolResult,
)
from functions.kit.llm.usage import MemoryUsageRecorder
from tests.support.llm_fakes import API_KEY, FakeGemini, FakeLLM, FakeOpenAI, Reply
from tests.support.llm_tools import PNG, SEARCH_ANSWER, SOURCE

MODELS = {"openai": "gpt-5-mini", "gemini": "gemini-2.5-flash"}
IMAGE_MODEL = "gemini-2.5-flash-image"


class RulesQuery(BaseModel):
    item: str


class Plan(BaseModel):
    answer: str
    confidence: float


class Answer(BaseModel):
    text: str


LOOKUP = FunctionTool("lookup_rules", "분리배출 규정을 품목으로 찾는다", RulesQuery)
CALL = {"id": "call_1", "name": "lookup_rules", "arguments": {"item": "페트병"}}


def ask(**changes: object) -> LLMRequest:
    base = LLMRequest(task="chat.plan", schema=Plan, system="너는 이코야.", tools=(LOOKUP,),
                      prompt="페트병 어떻게 버려?", job_id="job-tools")  # fmt: skip
    return LLMRequest(**{**base.__dict__, **changes})  # type: ignore[arg-type]


@dataclass
class Wire:
    name: str
    llm: LLMClient
    fake: FakeLLM
    usage: MemoryUsageRecorder


@contextlib.asynccontextmanager
async def wire_of(name: str) -> AsyncIterator[Wire]:
    fake: FakeLLM = FakeOpenAI() if name == "openai" else FakeGemini()
    async with fake.running() as url:
        usage = MemoryUsageRecorder()
        if name == "openai":
            client = openai_provider.build_client(API_KEY, url, 10)
            provider: LLMProvider = openai_provider.OpenAIProvider(client)
            close = client.close
        else:
            gclient = gemini_provider.build_client(API_KEY, url, 10)
            provider = gemini_provider.GeminiProvider(gclient)
            close = gclient.aio.aclose
        llm = LLMClient({name: provider}, allowed_models=[MODELS[name]],
                        default_model=MODELS[name], usage=usage, retries=0)  # fmt: skip
        yield Wire(name, llm, fake, usage)
        await close()


@pytest.fixture(params=["openai", "gemini"])
async def wire(request: pytest.FixtureRequest) -> AsyncIterator[Wire]:
    async with wire_of(request.param) as found:
        yield found


async def test_a_function_call_comes_back_as_a_tool_call(wire: Wire) -> None:
    wire.fake.script(Reply(tool_calls=(CALL,)))
    result = await wire.llm.generate(ask())
    assert result.output is None
    [call] = result.tool_calls
    assert (call.name, dict(call.arguments)) == ("lookup_rules", {"item": "페트병"})
    assert call.id == "call_1"
    [seen] = wire.fake.received
    if wire.name == "openai":
        [tool] = seen.body["tools"]
        assert tool["type"] == "function" and tool["strict"] is True
        assert tool["parameters"]["additionalProperties"] is False
    else:
        [tool] = seen.body["tools"]
        [declared] = tool["functionDeclarations"]
        assert declared["name"] == "lookup_rules"
        schema = declared.get("parametersJsonSchema") or declared["parameters_json_schema"]
        assert schema["properties"]["item"]["type"] == "string"
    [record] = wire.usage.records
    assert record.ok and record.input_tokens > 0 and record.cost_usd is not None


async def test_the_answers_go_back_and_the_reply_is_the_structured_output(wire: Wire) -> None:
    wire.fake.script(Reply(tool_calls=(CALL,)), Reply(output={"answer": "헹궈서", "confidence": 1}))
    first = await wire.llm.generate(ask())
    rules = {"rule": "라벨을 떼고 헹궈서 투명 페트병으로"}
    second = await wire.llm.generate(
        ask(tool_results=tuple(ToolResult(c, rules) for c in first.tool_calls))
    )
    assert second.output_as(Plan) == Plan(answer="헹궈서", confidence=1.0)
    assert second.tool_calls == ()
    body = wire.fake.received[-1].body
    if wire.name == "openai":
        kinds = [i.get("type") for i in body["input"]]
        assert kinds[-2:] == ["function_call", "function_call_output"]
        assert body["input"][-1]["call_id"] == "call_1"
        assert body["text"]["format"]["type"] == "json_schema"
    else:
        roles = [c["role"] for c in body["contents"]]
        assert roles == ["user", "model", "user"]
        response = body["contents"][-1]["parts"][0]["functionResponse"]
        assert response["name"] == "lookup_rules" and response["response"] == rules
        assert body["generationConfig"]["responseMimeType"] == "application/json"


async def test_native_web_search_answers_with_its_sources(wire: Wire) -> None:
    request = LLMRequest(task="chat.web_search", schema=Answer, system="", job_id="job-s",
                         prompt="요즘 분리배출 정책 뉴스", web_search=True)  # fmt: skip
    result = await wire.llm.generate(request)
    assert result.output_as(Answer).text == SEARCH_ANSWER
    assert result.sources == (Source(SOURCE["title"], SOURCE["url"]),)
    assert result.usage.searches == 1
    [tool] = wire.fake.received[-1].body["tools"]
    assert tool == ({"type": "web_search"} if wire.name == "openai" else {"googleSearch": {}})
    [record] = wire.usage.records
    expected = cost_usd(MODELS[wire.name], record.input_tokens, record.output_tokens, 1,
                        load_prices())  # fmt: skip
    assert record.searches == 1 and record.cost_usd == expected


async def test_the_run_ledger_sums_every_call_with_its_cost(wire: Wire) -> None:
    wire.fake.script(Reply(tool_calls=(CALL,)), Reply(status=400))
    await wire.llm.generate(ask())
    with pytest.raises(Exception):  # noqa: B017 - the refusal is recorded too
        await wire.llm.generate(ask())
    await wire.llm.generate(ask(job_id="another"))
    ledger = await wire.llm.settle("job-tools")
    assert ledger.calls == 2 and ledger.priced
    [model] = ledger.by_model
    assert (model.model, model.calls, model.failed) == (MODELS[wire.name], 2, 1)
    first = wire.usage.records[0]
    assert ledger.cost_usd == pytest.approx(first.cost_usd)
    assert ledger.input_tokens == first.input_tokens
    assert wire.usage.runs["job-tools"] == ledger


async def test_gemini_draws_and_the_picture_is_recorded() -> None:
    async with wire_of("gemini") as wire:
        picture = await wire.llm.draw(ImageRequest(task="chat.image", prompt="웃는 페트병",
                                                   model=IMAGE_MODEL, job_id="job-i"))  # fmt: skip
        body = wire.fake.received[-1].body
    assert (picture.data, picture.mime_type, picture.provider) == (PNG, "image/png", "gemini")
    assert body["generationConfig"]["responseModalities"] == ["TEXT", "IMAGE"]
    [record] = wire.usage.records
    assert (record.task, record.model, record.ok) == ("chat.image", IMAGE_MODEL, True)


async def test_openai_does_not_draw_here_and_offline_draws_a_placeholder() -> None:
    async with wire_of("openai") as wire:
        with pytest.raises(UnknownModel):
            await wire.llm.draw(ImageRequest(task="chat.image", prompt="x", model="gpt-5-mini"))
    offline = LLMClient({"offline": OfflineProvider()}, allowed_models=["offline"],
                        default_model="offline")  # fmt: skip
    first = await offline.draw(ImageRequest(task="chat.image", prompt="고양이", model="offline"))
    again = await offline.draw(ImageRequest(task="chat.image", prompt="고양이", model="offline"))
    other = await offline.draw(ImageRequest(task="chat.image", prompt="강아지", model="offline"))
    assert first.data.startswith(b"\x89PNG\r\n\x1a\n") and first.mime_type == "image/png"
    assert first.data == again.data != other.data
