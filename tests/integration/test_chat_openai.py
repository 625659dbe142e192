"""The agent on the official OpenAI SDK against the wire fake: intent as strict structured
output, the answer streamed as Responses events, each token on the run's stream."""

from __future__ import annotations

from functions.chat.agent import respond
from functions.kit.llm import openai_provider
from functions.kit.llm.client import LLMClient
from functions.kit.llm.usage import MemoryUsageRecorder
from tests.support.chat import rig, stream_of, submit
from tests.support.llm_fakes import API_KEY, SAMPLE_ANSWER, FakeOpenAI

MODEL = "gpt-5-mini"


async def test_a_run_on_openai_streams_the_models_words() -> None:
    fake = FakeOpenAI()
    async with fake.running() as base_url:
        client = openai_provider.build_client(API_KEY, base_url, 10)
        usage = MemoryUsageRecorder()
        llm = LLMClient({"openai": openai_provider.OpenAIProvider(client)},
                        allowed_models=[MODEL], default_model=MODEL, usage=usage)  # fmt: skip
        r = rig(llm=llm)
        data = (await submit(r, "우유팩 어떻게 버려?")).model_copy(update={"model": MODEL})
        answered = await respond(data, r.bus, r.repo, r.agent)
        await client.close()
    assert answered is not None
    events = await stream_of(r.bus, data.job_id)
    tokens = [d["content"] for n, d in events if n == "token"]
    assert len(tokens) > 3 and "".join(tokens) == SAMPLE_ANSWER
    assert events[-1][1]["result"]["answer"] == SAMPLE_ANSWER
    assert [(u.task, u.ok) for u in usage.records] == [("chat.intent", True),
                                                       ("chat.answer", True)]  # fmt: skip
