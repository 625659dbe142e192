"""The online grader: event functions that grade a sample of production answers.

`eval-grade-scan` takes the scan pipeline's completion, `eval-grade-chat` the chat agent's
stored answer. Each decides by the answer's id whether it is in the sample
(`ECO2_EVAL_SAMPLE_RATE`), spends one unit of the day's budget (`ECO2_EVAL_DAILY_BUDGET`,
idempotent per answer), runs the tier-1 checks and the judge through the LLM port
(`ECO2_EVAL_JUDGE_MODEL`; its tokens are on the usage ledger under the answer's job id),
and replies with an `AnswerGraded` event: the metrics. Unsampled, over budget, or an answer
that is gone: no reply, nothing spent.
"""

from __future__ import annotations

import logging

from eventing.events.chat import ChatAnswered
from eventing.events.eval import AnswerGraded
from eventing.events.scan import ScanCompleted
from functions.chat.knowledge import KnowledgeBaseLookup
from functions.chat.ports import ConversationRepository
from functions.eval import answers, graders
from functions.eval.grounding import ground
from functions.eval.judge import Judge
from functions.eval.model import Answer
from functions.eval.ports import GradingBudget
from functions.eval.sampling import sampled
from functions.kit.llm.port import LLM
from functions.kit.settings import Settings
from functions.scan.knowledge.engine import RuleEngine
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.ports import ScanRepository

log = logging.getLogger(__name__)


async def _admitted(job_id: str, settings: Settings, budget: GradingBudget) -> bool:
    if not sampled(job_id, settings.eval_sample_rate):
        return False
    if not await budget.take(job_id, settings.eval_daily_budget):
        log.info("job %s: sampled, but today's grading budget is spent", job_id)
        return False
    return True


async def _grade(
    answer: Answer, kb: KnowledgeBase, engine: RuleEngine, llm: LLM, settings: Settings
) -> AnswerGraded:
    grounding = ground(kb, engine, answer.situation)
    checks = graders.grade(answer, grounding)
    judged, rejected = await Judge(llm, settings.eval_judge_model).judge_all(
        answer, grounding, checks
    )
    failed = [c.name for c in checks if not c.passed]
    if failed:
        log.warning("job %s: tier-1 checks failed: %s", answer.id, failed)
    return AnswerGraded(
        job_id=answer.id, kind=answer.kind, failed_checks=failed,
        scores={name: j.score for name, j in judged.items()}, rejected=sorted(rejected),
        judge_model=llm.check_model(settings.eval_judge_model),
    )  # fmt: skip


async def grade_scan(
    data: ScanCompleted, *, settings: Settings, eval_budget: GradingBudget,
    scan_jobs: ScanRepository, scan_knowledge: KnowledgeBase, rule_engine: RuleEngine, llm: LLM,
) -> AnswerGraded | None:  # fmt: skip
    """`eval-grade-scan`: a completed scan's stored result, as the user saw it."""
    if not await _admitted(data.job_id, settings, eval_budget):
        return None
    job = await scan_jobs.get(data.job_id)
    if job is None or job.status != "completed" or job.result is None:
        return None
    answer = answers.from_scan_result(job.id, job.user_input or "", job.result)
    return await _grade(answer, scan_knowledge, rule_engine, llm, settings)


async def grade_chat(
    data: ChatAnswered, *, settings: Settings, eval_budget: GradingBudget,
    chat_conversations: ConversationRepository, scan_knowledge: KnowledgeBase,
    rule_engine: RuleEngine, llm: LLM,
) -> AnswerGraded | None:  # fmt: skip
    """`eval-grade-chat`: the stored assistant message and the user message it answers; the
    situation is the knowledge base's reading of that message (what waste_rag looked up)."""
    if not await _admitted(data.job_id, settings, eval_budget):
        return None
    reply = await chat_conversations.message(data.assistant_message_id)
    if reply is None:
        return None
    earlier = await chat_conversations.messages(data.conversation_id, reply.seq, 1)
    question = earlier[-1].content if earlier and earlier[-1].role == "user" else ""
    context = await KnowledgeBaseLookup(scan_knowledge, rule_engine).lookup(question)
    situation = answers.chat_situation(scan_knowledge, context)
    answer = answers.chat_answer(data.job_id, question, situation, reply.content)
    return await _grade(answer, scan_knowledge, rule_engine, llm, settings)
