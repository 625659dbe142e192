"""How a scan job ends: the reward stage (success) and the failure notice handler.

Both store the result before emitting `done` (the client fetches the result once, on `done`),
and both go through the repository's first-writer-wins `finish`, so a job ends exactly one
way even when a late failure notice races a redelivered reward.
"""

from __future__ import annotations

from eventing.bus.port import EventBus
from eventing.catalog import EventData
from eventing.events.character import CharacterGrantRequested
from eventing.events.mesh import DeadLettered
from eventing.events.scan import ScanAnswered, ScanCompleted, ScanContext
from functions.character.model import CharacterCatalog, reward_for
from functions.kit.progress import Progress
from functions.scan.model import (
    PLAN,
    STAGE_OF_FUNCTION,
    Reward,
    completed_result,
    failed_result,
)
from functions.scan.ports import ScanRepository


def decide_reward(catalog: CharacterCatalog, data: ScanAnswered) -> Reward | None:
    """domain.md: a character only for a recyclable item whose rule matched, photographed
    with nothing left to fix."""
    ruling = data.ruling
    character = reward_for(
        catalog,
        major_category=ruling.major_category,
        middle_category=ruling.middle_category,
        rule_matched=ruling.rule_key is not None,
        insufficiencies=data.answer.insufficiencies,
    )
    if character is None:
        return None
    return Reward(
        code=character.code,
        name=character.name,
        dialog=character.dialog,
        type=character.type,
        match_reason=f"{ruling.middle_category}을(를) 올바르게 분리배출했어요",
    )


async def reward(
    data: ScanAnswered,
    event_bus: EventBus,
    scan_jobs: ScanRepository,
    character_catalog: CharacterCatalog,
) -> list[EventData]:
    """`scan-reward`: decide the reward, store the result, then `done`; the grant itself is
    a command to the character domain (a reply with an id derived from this event, so a
    redelivery asks for the same grant, which that domain applies once)."""
    ctx = data.context
    progress = Progress(event_bus, ctx.job_id)
    start, end = PLAN["reward"]
    async with progress.stage("reward", start=start, end=end, failures=False) as stage:
        granted = decide_reward(character_catalog, data)
        result = completed_result(
            ctx.job_id, data.classification, data.ruling, data.answer, granted
        )
        job = await scan_jobs.finish(ctx.job_id, "completed", result)
        if job.status != "completed" or job.result is None:
            stage.abandon()  # it had already failed for good; that path emitted the end
            return []
    await progress.done(result=job.result)
    stored = job.result.get("reward")
    code = granted.code if granted and stored else None
    replies: list[EventData] = [
        ScanCompleted(job_id=ctx.job_id, user_id=ctx.user_id, reward_code=code)
    ]
    if code:
        replies.append(
            CharacterGrantRequested(
                user_id=ctx.user_id,
                character_code=code,
                reason=f"scan reward: {data.ruling.middle_category}",
                source=f"scan:{ctx.job_id}",
            )
        )
    return replies


async def failed(data: DeadLettered, event_bus: EventBus, scan_jobs: ScanRepository) -> None:
    """`scan-failed`: a scan stage gave up for good; end the job as failed, with why."""
    context = (data.data or {}).get("context")
    if not isinstance(context, dict) or "job_id" not in context:
        return  # not a scan job's event (nothing to end)
    ctx = ScanContext.model_validate(context)
    stage = STAGE_OF_FUNCTION.get(data.trigger, "queued")
    detail = _public_detail(stage, data.error_type)
    result = failed_result(ctx.job_id, stage, "SCAN_STAGE_FAILED", detail)
    if await scan_jobs.get(ctx.job_id) is None:
        return  # unknown job: nothing stored to end
    job = await scan_jobs.finish(ctx.job_id, "failed", result)
    if job.status != "failed":
        return  # it completed after all (a redelivered stage won the race)
    await Progress(event_bus, ctx.job_id).fail(detail, result=job.result, stage=stage)


def _public_detail(stage: str, error_type: str | None) -> str:
    """The cause as the client may read it: the stage and the error's kind (the notice's
    `error_type`), never its text (which may hold internals); operators read the whole cause
    in the dead letter."""
    return f"'{stage}' 단계를 끝내지 못했어요 ({error_type or 'Error'})."
