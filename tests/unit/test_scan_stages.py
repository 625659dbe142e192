"""The scan stages as plain handlers with in-memory adapters: what each stage decides, and
that a redelivered stage reuses its saved output (no second LLM call, no second grant)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from eventing.bus.memory import InMemoryEventBus
from eventing.events.character import CharacterGrantRequested
from eventing.events.mesh import DeadLettered
from eventing.events.scan import ScanCompleted, ScanContext, ScanRequested
from functions.character.catalog import default_catalog
from functions.kit.llm.port import LLMRequest, LLMResult, Usage
from functions.scan import finish, stages
from functions.scan.knowledge.engine import RuleEngine
from functions.scan.knowledge.loader import load_knowledge
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.memory_repository import MemoryScanRepository
from functions.scan.model import ScanJob

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


class CountingLLM:
    """Answers with the request's offline answer, counting calls per task."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def check_model(self, model: str | None) -> str:
        return model or "offline"

    async def generate(self, request: LLMRequest) -> LLMResult:
        self.calls[request.task] = self.calls.get(request.task, 0) + 1
        assert request.offline is not None
        output = request.schema.model_validate(dict(request.offline(request)))
        return LLMResult(output=output, provider="offline", model="offline",
                         usage=Usage(0, 0), latency_s=0.0, fallback_from=None)  # fmt: skip


class Photos:
    """Just enough of the object store for the vision stage."""

    async def get(self, key: str) -> tuple[bytes, str]:
        return PNG, "image/png"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


class Pipeline:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.bus = InMemoryEventBus()
        self.jobs = MemoryScanRepository()
        self.llm = CountingLLM()
        self.catalog = default_catalog()

    async def submit(self, hint: str | None) -> ScanRequested:
        user, job_id = str(uuid.uuid4()), str(uuid.uuid4())
        await self.jobs.create(ScanJob(
            id=job_id, user_id=user, image_url="http://x/media/scan/u/a.png",
            image_key=f"scan/{user}/a.png", content_type="image/png", user_input=hint,
            model="offline", status="queued", result=None, created_at=datetime.now(UTC),
        ), None, 3600)  # fmt: skip
        await self.bus.register_job(job_id, user, "scan")
        context = ScanContext(job_id=job_id, user_id=user, image_url="http://x/media/scan/u/a.png",
                              image_key=f"scan/{user}/a.png", content_type="image/png",
                              user_input=hint, model="offline")  # fmt: skip
        return ScanRequested(context=context)

    async def vision(self, request: ScanRequested) -> Any:
        return await stages.vision(
            request, event_bus=self.bus, scan_jobs=self.jobs, llm=self.llm,
            object_store=Photos(), scan_knowledge=self.kb,
        )  # type: ignore[arg-type]  # fmt: skip

    async def run(self, request: ScanRequested) -> list[Any]:
        classified = await self.vision(request)
        if classified is None:
            return []
        ruled = await stages.rule(classified, self.bus, RuleEngine(self.kb))
        answered = await stages.answer(ruled, self.bus, self.jobs, self.llm)
        assert answered is not None
        return await finish.reward(answered, self.bus, self.jobs, self.catalog)

    async def stream(self, job_id: str) -> list[tuple[str, str]]:
        history = await self.bus.read_since(job_id, 0)
        return [(e.event, e.data["status"]) for e in history.events]


async def test_a_clean_milk_carton_completes_with_a_reward(kb: KnowledgeBase) -> None:
    pipe = Pipeline(kb)
    request = await pipe.submit("다 마신 우유팩이에요")
    replies = await pipe.run(request)
    job = await pipe.jobs.get(request.context.job_id)
    assert job is not None and job.status == "completed" and job.result is not None
    found = job.result["pipeline_result"]["classification_result"]["classification"]
    assert (found["major_category"], found["middle_category"]) == ("재활용폐기물", "종이팩")
    assert job.result["pipeline_result"]["disposal_rules"] is not None
    assert job.result["reward"]["name"] == "팩토리"
    assert [type(r) for r in replies] == [ScanCompleted, CharacterGrantRequested]
    assert replies[1].character_code == "char-factory"
    assert (await pipe.stream(request.context.job_id))[-1] == ("done", "completed")


async def test_without_a_hint_the_offline_provider_says_unclassified(kb: KnowledgeBase) -> None:
    pipe = Pipeline(kb)
    request = await pipe.submit(None)
    replies = await pipe.run(request)
    job = await pipe.jobs.get(request.context.job_id)
    assert job is not None and job.result is not None
    result = job.result
    classification = result["pipeline_result"]["classification_result"]["classification"]
    assert classification["major_category"] == "미분류"
    assert result["pipeline_result"]["disposal_rules"] is None
    assert result["reward"] is None and "reward" in result  # an explicit null
    assert result["pipeline_result"]["final_answer"]["user_answer"]
    assert [type(r) for r in replies] == [ScanCompleted]


async def test_redelivered_stages_call_the_llm_once_and_ask_one_grant(
    kb: KnowledgeBase,
) -> None:
    pipe = Pipeline(kb)
    request = await pipe.submit("우유팩")
    classified = await pipe.vision(request)
    assert classified == await pipe.vision(request)  # redelivered mid-job: the saved output
    ruled = await stages.rule(classified, pipe.bus, RuleEngine(kb))
    answered = await stages.answer(ruled, pipe.bus, pipe.jobs, pipe.llm)
    assert answered == await stages.answer(ruled, pipe.bus, pipe.jobs, pipe.llm)
    first = await finish.reward(answered, pipe.bus, pipe.jobs, pipe.catalog)
    again = await finish.reward(answered, pipe.bus, pipe.jobs, pipe.catalog)
    assert first == again  # the same replies; the kit derives the same event ids from them
    assert await pipe.vision(request) is None  # after the end: skipped, no LLM call
    assert pipe.llm.calls == {"scan.vision": 1, "scan.answer": 1}
    events = await pipe.stream(request.context.job_id)
    assert events.count(("done", "completed")) == 1


async def test_an_insufficiency_means_no_reward(kb: KnowledgeBase) -> None:
    pipe = Pipeline(kb)
    tag = next(t for t in kb.tags.values() if t.kind == "insufficiency" and not t.applies_to)
    request = await pipe.submit(f"우유팩 {tag.label}")
    await pipe.run(request)
    job = await pipe.jobs.get(request.context.job_id)
    assert job is not None and job.result is not None
    assert job.result["pipeline_result"]["final_answer"]["insufficiencies"]
    assert job.result["reward"] is None


async def test_a_dead_letter_notice_ends_the_job_as_failed(kb: KnowledgeBase) -> None:
    pipe = Pipeline(kb)
    request = await pipe.submit("우유팩")
    notice = DeadLettered(
        trigger="scan-vision", error="LLMUnavailable: openai 429", attempts=5,
        event_type="kr.eco2.scan.requested.v1", event_source="/eco2/scan/api",
        event_id=request.context.job_id, data=request.model_dump(mode="json"),
    )  # fmt: skip
    await finish.failed(notice, pipe.bus, pipe.jobs)
    await finish.failed(notice, pipe.bus, pipe.jobs)  # a redelivered notice: nothing new
    job = await pipe.jobs.get(request.context.job_id)
    assert job is not None and job.status == "failed" and job.result is not None
    assert job.result["status"] == "failed" and job.result["error"]["stage"] == "vision"
    events = await pipe.stream(request.context.job_id)
    assert events[-2:] == [("vision", "failed"), ("done", "failed")]
    late = await pipe.run(request)  # a stage redelivered after the job failed for good
    assert late == []
    assert (await pipe.jobs.get(request.context.job_id)).status == "failed"  # type: ignore[union-attr]


async def test_a_failed_job_names_the_notice_s_error_type_never_its_text(
    kb: KnowledgeBase,
) -> None:
    """The kind shown to the client is the notice's `error_type` field; `error` (free text
    that may hold internals, and colons) is not parsed."""
    pipe = Pipeline(kb)
    request = await pipe.submit("우유팩")
    notice = DeadLettered(
        trigger="scan-answer", error="internal: db at 10.0.0.7: refused", attempts=3,
        error_type="LLMUnavailable", event_type="kr.eco2.scan.ruled.v1",
        event_source="/eco2/scan/rule", event_id="e1", data=request.model_dump(mode="json"),
    )  # fmt: skip
    await finish.failed(notice, pipe.bus, pipe.jobs)
    job = await pipe.jobs.get(request.context.job_id)
    assert job is not None and job.result is not None
    detail = job.result["error"]["detail"]
    assert "LLMUnavailable" in detail and "internal" not in detail and "10.0.0.7" not in detail
