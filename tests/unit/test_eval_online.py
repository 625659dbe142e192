"""The online grader (functions/eval/online.py): a fixed, id-decided sample of production
answers is graded within the day's budget and reported as an `AnswerGraded` event; the
rest cost nothing. Memory adapters, the offline judge."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from eventing.events.chat import ChatAnswered
from eventing.events.eval import AnswerGraded
from eventing.events.scan import ScanCompleted
from functions.chat.memory_repository import MemoryConversationRepository
from functions.chat.model import Message
from functions.eval import online
from functions.eval.budget import MemoryBudget
from functions.eval.sampling import sampled
from functions.kit.bootstrap import build_container, build_registry, local_function
from functions.kit.settings import Settings
from functions.scan.memory_repository import MemoryScanRepository
from functions.scan.model import ScanJob
from tests.unit.test_eval_graders import BY_ID, ENGINE, KB, offline_llm, wrong_bin

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
ALL = Settings(eval_sample_rate=1.0, eval_daily_budget=10)


def test_the_sample_is_decided_by_the_answer_id_alone() -> None:
    ids = [f"job-{n}" for n in range(4000)]
    chosen = [i for i in ids if sampled(i, 0.1)]
    assert 0.08 < len(chosen) / len(ids) < 0.12
    assert chosen == [i for i in ids if sampled(i, 0.1)]  # every replica, every redelivery
    assert not any(sampled(i, 0.0) for i in ids) and all(sampled(i, 1.0) for i in ids)


async def stored_scan(result: dict[str, Any]) -> tuple[MemoryScanRepository, str]:
    jobs, job_id = MemoryScanRepository(), str(uuid.uuid4())
    job = ScanJob(id=job_id, user_id="u1", image_url="https://cdn/x.jpg", image_key="x",
                  content_type="image/jpeg", user_input="건전지", model="offline",
                  status="queued", result=None, created_at=NOW)  # fmt: skip
    await jobs.create(job, None, 60)
    await jobs.finish(job_id, "completed", {**result, "task_id": job_id})
    return jobs, job_id


async def grade_scan(
    result: dict[str, Any], settings: Settings = ALL, budget: MemoryBudget | None = None
) -> AnswerGraded | None:
    jobs, job_id = await stored_scan(result)
    return await online.grade_scan(
        ScanCompleted(job_id=job_id, user_id="u1", reward_code=None), settings=settings,
        eval_budget=budget or MemoryBudget(), scan_jobs=jobs, scan_knowledge=KB,
        rule_engine=ENGINE, llm=offline_llm(),
    )  # fmt: skip


async def test_a_sampled_scan_is_graded_and_reported() -> None:
    graded = await grade_scan(BY_ID["s-aa"].raw)  # type: ignore[arg-type]
    assert graded is not None and graded.kind == "scan"
    assert graded.failed_checks == [] and graded.rejected == []
    assert set(graded.scores) == {"accuracy", "local_rules", "safety", "helpfulness", "tone"}
    assert graded.judge_model == "offline"


async def test_a_wrong_production_answer_shows_in_the_metrics() -> None:
    answer = wrong_bin(BY_ID["s-aa"])
    raw = answer.raw
    assert isinstance(raw, dict)
    final = raw["pipeline_result"]["final_answer"]
    broken = {**raw, "pipeline_result": {**raw["pipeline_result"], "final_answer": {
        **final, "disposal_steps": {f"단계{n}": s for n, s in enumerate(answer.steps, 1)},
        "user_answer": answer.reply}}}  # fmt: skip
    graded = await grade_scan(broken)
    assert graded is not None
    assert {"steps", "warnings"} <= set(graded.failed_checks)
    assert graded.scores["safety"] == 1


async def test_unsampled_or_over_budget_answers_are_not_graded_nor_counted() -> None:
    budget = MemoryBudget()
    raw: Any = BY_ID["s-milk"].raw
    assert await grade_scan(raw, Settings(eval_sample_rate=0.0), budget) is None
    assert await budget.take("someone-else", 1)  # the unsampled one spent nothing
    assert await grade_scan(raw, replace_budget(0), MemoryBudget()) is None


def replace_budget(daily: int) -> Settings:
    return Settings(eval_sample_rate=1.0, eval_daily_budget=daily)


async def test_a_redelivered_event_is_graded_again_without_spending_more() -> None:
    budget = MemoryBudget()
    jobs, job_id = await stored_scan(BY_ID["s-milk"].raw)  # type: ignore[arg-type]
    event = ScanCompleted(job_id=job_id, user_id="u1", reward_code=None)
    kwargs: dict[str, Any] = {"settings": replace_budget(1), "eval_budget": budget,
                              "scan_jobs": jobs, "scan_knowledge": KB, "rule_engine": ENGINE,
                              "llm": offline_llm()}  # fmt: skip
    assert await online.grade_scan(event, **kwargs) is not None
    assert await online.grade_scan(event, **kwargs) is not None  # the budget was 1
    assert not await budget.take("another", 1)


async def stored_chat(markdown: str) -> tuple[MemoryConversationRepository, ChatAnswered]:
    repo = MemoryConversationRepository()
    chat = await repo.create("u1", None, NOW)
    job_id = str(uuid.uuid4())
    asked = Message(id=str(uuid.uuid4()), conversation_id=chat.id, seq=0, role="user",
                    content="우유팩 어떻게 버려요?", created_at=NOW, job_id=job_id)  # fmt: skip
    await repo.add_user_message(chat.id, "u1", asked, 60)
    said = replace(asked, id=str(uuid.uuid4()), role="assistant", content=markdown)
    stored = await repo.finish_run(chat.id, job_id, said)
    assert stored is not None
    return repo, ChatAnswered(job_id=job_id, conversation_id=chat.id, user_id="u1",
                              assistant_message_id=stored.id, intents=["waste"])  # fmt: skip


async def grade_chat(markdown: str) -> AnswerGraded | None:
    repo, event = await stored_chat(markdown)
    return await online.grade_chat(
        event, settings=ALL, eval_budget=MemoryBudget(), chat_conversations=repo,
        scan_knowledge=KB, rule_engine=ENGINE, llm=offline_llm(),
    )  # fmt: skip


async def test_a_chat_answer_is_graded_against_the_question_it_answers() -> None:
    good = await grade_chat(BY_ID["c-milk"].reply)
    assert good is not None and good.kind == "chat" and good.failed_checks == []
    rude = await grade_chat(BY_ID["c-milk"].reply + "\n\n헹궈서 대충 버려.")
    assert rude is not None and rude.failed_checks == ["register"]


async def test_the_grader_functions_are_declared_and_their_dependencies_resolve() -> None:
    registry = build_registry(domains=["eval"])
    names = {fn.name: fn for fn in registry}
    assert {"eval-grade-scan", "eval-grade-chat"} <= set(names)
    assert names["eval-grade-scan"].trigger.type == "kr.eco2.scan.completed.v1"  # type: ignore[union-attr]
    assert names["eval-grade-chat"].trigger.type == "kr.eco2.chat.answered.v1"  # type: ignore[union-attr]
    container = build_container(Settings(), registry)
    try:
        for name in ("eval-grade-scan", "eval-grade-chat"):
            await local_function(names[name], registry.catalog, container)
    finally:
        await container.close()
