"""The provider-tool sub-agents against the wire fakes: `web_search` through OpenAI's
`web_search` tool and Gemini's google_search grounding, `image_generation` through Gemini's
image model stored via the images domain; offline, "no web results" (the chain goes on) and
a placeholder picture; and each under its node policy when the provider fails."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import pytest

from functions.chat.agent import respond
from functions.chat.nodes.agents import run_subagent
from functions.chat.policies import POLICIES, FailMode
from functions.chat.state import ChatState
from functions.chat.tool_agents import ImageGeneration, ProviderWebSearch
from functions.images.model import owner_of
from functions.kit.llm import gemini_provider, openai_provider
from functions.kit.llm.client import LLMClient
from functions.kit.llm.port import LLMProvider
from functions.kit.llm.usage import MemoryUsageRecorder
from tests.support.chat import memory_store, offline_llm, rig, sources, stages, stream_of, submit
from tests.support.llm_fakes import API_KEY, FakeGemini, FakeLLM, FakeOpenAI, Reply
from tests.support.llm_tools import PNG, SEARCH_ANSWER, SOURCE

MODELS = {"openai": "gpt-5-mini", "gemini": "gemini-2.5-flash"}
IMAGE_MODEL = "gemini-2.5-flash-image"
USER = "user-1"


@contextlib.asynccontextmanager
async def remote(name: str) -> AsyncIterator[tuple[LLMClient, FakeLLM, MemoryUsageRecorder]]:
    fake: FakeLLM = FakeOpenAI() if name == "openai" else FakeGemini()
    usage = MemoryUsageRecorder()
    async with fake.running() as url:
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
        yield llm, fake, usage
        await close()


@pytest.mark.parametrize("name", ["openai", "gemini"])
async def test_web_search_uses_the_providers_native_search(name: str) -> None:
    async with remote(name) as (llm, fake, usage):
        found = await ProviderWebSearch(llm).search("요즘 페트병 정책", MODELS[name], "job-w")
        [call] = fake.received
    assert found == {"summary": SEARCH_ANSWER, "provider": name,
                     "results": [{"title": SOURCE["title"], "url": SOURCE["url"],
                                  "snippet": ""}]}  # fmt: skip
    tools = call.body["tools"]
    assert tools == ([{"type": "web_search"}] if name == "openai" else [{"googleSearch": {}}])
    [record] = usage.records
    assert (record.task, record.searches, record.job_id) == ("chat.web_search", 1, "job-w")


async def test_offline_web_search_finds_nothing_and_the_chain_goes_on() -> None:
    assert await ProviderWebSearch(offline_llm()).search("정책 뉴스", "offline", "j") is None
    r = rig()
    data = await submit(r, "분리배출 정책 뉴스 알려줘")
    assert await respond(data, r.bus, r.repo, r.agent) is not None
    seen = stages(await stream_of(r.bus, data.job_id))
    assert ("web_search", "completed") in seen and ("general", "completed") in seen


async def test_a_failing_search_is_tried_once_and_falls_back_under_its_policy() -> None:
    async with remote("openai") as (llm, fake, _):
        fake.script(Reply(status=503))
        r = rig(sources(web_search=ProviderWebSearch(llm)))
        await r.bus.register_job("job-f", USER, "chat")
        state: ChatState = {"job_id": "job-f", "message": "정책 뉴스", "user_id": USER,
                            "model": MODELS["openai"]}  # fmt: skip
        outcome = await run_subagent(r.agent_deps, "web_search", state)
        assert len(fake.received) == 1  # retries=0: a search is billed per call
    assert POLICIES["web_search"].fail is FailMode.FALLBACK
    assert not outcome["ok"] and outcome["fallback"] and outcome["context"] is None


async def test_gemini_draws_and_the_picture_is_stored_once_per_run() -> None:
    store = memory_store()
    async with remote("gemini") as (llm, fake, usage):
        drawings = ImageGeneration(llm, store, IMAGE_MODEL)
        first = await drawings.draw(USER, "웃는 페트병", "job-d")
        again = await drawings.draw(USER, "웃는 페트병", "job-d")  # a resumed run
        body = fake.received[-1].body
    assert first is not None and again is not None and first["key"] == again["key"]
    assert first["image_url"] == store.public_url(first["key"])
    assert owner_of(first["key"]) == USER and first["key"].startswith("chat/")
    assert await store.get(first["key"]) == (PNG, "image/png")
    assert body["generationConfig"]["responseModalities"] == ["TEXT", "IMAGE"]
    assert "웃는 페트병" in body["contents"][0]["parts"][0]["text"]
    assert [r.model for r in usage.records] == [IMAGE_MODEL, IMAGE_MODEL]


async def test_offline_draws_a_placeholder_into_the_answer() -> None:
    store = memory_store()
    r = rig(sources(drawings=ImageGeneration(offline_llm(), store, "offline")))
    data = await submit(r, "이코 그림 그려줘")
    answered = await respond(data, r.bus, r.repo, r.agent)
    assert answered is not None
    stored = await r.repo.message(answered.assistant_message_id)
    assert stored is not None
    [url] = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", stored.content)
    key = store.key_for_url(url)
    assert key is not None and owner_of(key) == data.user_id
    data_png, kind = await store.get(key)
    assert kind == "image/png" and data_png.startswith(b"\x89PNG")


async def test_a_failing_image_model_is_said_and_the_run_goes_on() -> None:
    async with remote("gemini") as (llm, fake, _):
        fake.script(Reply(status=503))
        r = rig(sources(drawings=ImageGeneration(llm, memory_store(), IMAGE_MODEL)))
        data = await submit(r, "이코 그림 그려줘")
        answered = await respond(data, r.bus, r.repo, r.agent)
    assert answered is not None
    stored = await r.repo.message(answered.assistant_message_id)
    assert stored is not None and "그림을 그리지 못했어요" in stored.content
