"""The scan pipeline's first three stage functions: vision → rule → answer.

Each is a CloudEvent handler: the previous stage's event in, its own event out (the broker
routes it to the next stage). Each emits `started`/`completed` progress; a failure is left to
the broker (retry with backoff, then the dead-letter notice ends the job — see `finish.py`).

Exactly-once effects: the LLM stages save their output before replying and reuse a saved
output when redelivered, so a crash after the LLM answered never pays for a second call.
"""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from typing import Any

from eventing.bus.port import EventBus
from eventing.events.scan import (
    AnswerData,
    ClassificationData,
    RulingData,
    ScanAnswered,
    ScanClassified,
    ScanContext,
    ScanRequested,
    ScanRuled,
)
from functions.images.model import ImageContentMismatch, looks_like
from functions.images.ports import ObjectStore
from functions.kit.llm.port import LLM, ImageInput, LLMRequest
from functions.kit.progress import Progress, Stage
from functions.scan import offline, prompts
from functions.scan.knowledge.engine import RuleEngine, step_dict
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.knowledge.taxonomy import UNCLASSIFIED, is_valid
from functions.scan.model import PLAN
from functions.scan.ports import ScanRepository

log = logging.getLogger(__name__)


async def _live(jobs: ScanRepository, job_id: str) -> bool:
    """Whether the job still wants this stage: a job that ended (failed for good) or is
    unknown gets no LLM call, however often its events are redelivered or replayed."""
    job = await jobs.get(job_id)
    if job is None or job.finished:
        log.info("job %s: %s, stage skipped", job_id, "unknown" if job is None else job.status)
        return False
    return True


def _stage(bus: EventBus, job_id: str, stage: str) -> AbstractAsyncContextManager[Stage]:
    """`started`/`completed` at the plan's percentages; a failure is the broker's to retry,
    and reported once it gives up (the dead-letter notice, `finish.failed`)."""
    start, end = PLAN[stage]
    return Progress(bus, job_id).stage(stage, start=start, end=end, failures=False)


async def vision(
    data: ScanRequested,
    *,
    event_bus: EventBus,
    scan_jobs: ScanRepository,
    llm: LLM,
    object_store: ObjectStore,
    scan_knowledge: KnowledgeBase,
) -> ScanClassified | None:
    """`scan-vision`: name the item and its situation from the photo (and the user's hint)."""
    ctx = data.context
    if not await _live(scan_jobs, ctx.job_id):
        return None
    async with _stage(event_bus, ctx.job_id, "vision"):
        saved = await scan_jobs.stage_output(ctx.job_id, "vision")
        if saved is None:
            found = await _classify(ctx, llm, object_store, scan_knowledge)
            output = found.model_dump(mode="json")
            saved = await scan_jobs.save_stage(ctx.job_id, "vision", output)
        classification = ClassificationData.model_validate(saved)
    return ScanClassified(context=ctx, classification=classification)


async def _classify(
    ctx: ScanContext, llm: LLM, store: ObjectStore, kb: KnowledgeBase
) -> ClassificationData:
    image, content_type = await store.get(ctx.image_key)
    if not looks_like(content_type, image[:16]):  # S3 never checks what a PUT uploads
        raise ImageContentMismatch(f"the uploaded file is not a {content_type} image")
    result = await llm.generate(
        LLMRequest(
            task="scan.vision",
            schema=prompts.VisionOutput,
            system=prompts.vision_system(kb),
            prompt=prompts.vision_prompt(ctx.user_input),
            model=ctx.model,
            image=ImageInput(data=image, mime_type=content_type),
            offline=offline.vision(kb, ctx.user_input),
            job_id=ctx.job_id,
        )
    )
    output = result.output_as(prompts.VisionOutput)
    return normalize(kb, output)


def normalize(kb: KnowledgeBase, output: prompts.VisionOutput) -> ClassificationData:
    """Trust the knowledge base over the model: a known item keeps the KB's categories; an
    unknown item is kept only with categories the client knows, else it is 미분류."""
    tags = [t for t in dict.fromkeys(output.situation_tags) if t in kb.tags]
    item = kb.resolve(output.minor_category)
    if item is not None:
        return ClassificationData(
            major_category=item.major,
            middle_category=item.middle,
            minor_category=item.name,
            situation_tags=tags,
        )
    if output.major_category != UNCLASSIFIED and is_valid(
        output.major_category, output.middle_category
    ):
        return ClassificationData(
            major_category=output.major_category,
            middle_category=output.middle_category,
            minor_category=output.minor_category.strip() or output.middle_category,
            situation_tags=tags,
        )
    return ClassificationData(
        major_category=UNCLASSIFIED,
        middle_category=UNCLASSIFIED,
        minor_category=UNCLASSIFIED,
        situation_tags=[],
        message=offline.UNCLASSIFIED_MESSAGE,
    )


async def rule(data: ScanClassified, event_bus: EventBus, rule_engine: RuleEngine) -> ScanRuled:
    """`scan-rule`: match the disposal rule document and adjust it for the situation tags."""
    ctx, found = data.context, data.classification
    async with _stage(event_bus, ctx.job_id, "rule"):
        outcome = rule_engine.apply(
            found.major_category, found.middle_category, found.minor_category,
            found.situation_tags,
        )  # fmt: skip
        if outcome.ignored_tags:
            log.info("job %s: tags ignored by the rules: %s", ctx.job_id, outcome.ignored_tags)
        document = outcome.document
        ruling = RulingData(
            rule_key=document.key if document else None,
            disposal_rules=document.as_contract() if document else None,
            disposal_steps=list(outcome.disposal_steps),
            insufficiencies=list(outcome.insufficiencies),
            major_category=outcome.major,
            middle_category=outcome.middle,
        )
    return ScanRuled(context=ctx, classification=found, ruling=ruling)


async def answer(
    data: ScanRuled, event_bus: EventBus, scan_jobs: ScanRepository, llm: LLM
) -> ScanAnswered | None:
    """`scan-answer`: the steps, what the user did wrong, and 이코's short reply."""
    ctx = data.context
    if not await _live(scan_jobs, ctx.job_id):
        return None
    async with _stage(event_bus, ctx.job_id, "answer"):
        saved = await scan_jobs.stage_output(ctx.job_id, "answer")
        if saved is None:
            written = await _write_answer(data, llm)
            saved = await scan_jobs.save_stage(ctx.job_id, "answer", written)
        final = AnswerData.model_validate(saved)
    return ScanAnswered(
        context=ctx, classification=data.classification, ruling=data.ruling, answer=final
    )


async def _write_answer(data: ScanRuled, llm: LLM) -> dict[str, Any]:
    ctx, ruling = data.context, data.ruling
    result = await llm.generate(
        LLMRequest(
            task="scan.answer",
            schema=prompts.AnswerOutput,
            system=prompts.ANSWER_SYSTEM,
            prompt=prompts.answer_prompt(data.classification, ruling),
            model=ctx.model,
            offline=offline.answer(data.classification, ruling),
            job_id=ctx.job_id,
        )
    )
    output = result.output_as(prompts.AnswerOutput)
    # The rule document is authoritative for the steps and the insufficiencies (they decide
    # the reward); the model writes the reply, and the steps only when no rule matched.
    steps = ruling.disposal_steps if ruling.rule_key else output.disposal_steps
    answer = AnswerData(
        disposal_steps=step_dict(steps or offline.GENERIC_STEPS),
        insufficiencies=list(ruling.insufficiencies),
        user_answer=output.user_answer.strip() or offline.UNCLASSIFIED_MESSAGE,
    )
    return answer.model_dump(mode="json")
