"""`/api/v1/scan`: submit a photo, read the result, list the categories (http-api.md, Scan).

Submitting validates everything up front (model allow-list, image is ours and the caller's,
size and type), so a bad request gets its 4xx and changes nothing; then the job is stored,
registered on the event bus (queued) and the request event published. The stream itself is
served by the SSE gateway at the returned `stream_url`.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from eventing.bus.port import EventBus
from eventing.errors import UnavailableError
from functions.images.ports import ObjectStore
from functions.images.services import resolve_image
from functions.kit.identity import CurrentUser, current_user
from functions.kit.llm.port import LLM
from functions.kit.openapi import errors
from functions.kit.publisher import Publisher
from functions.kit.settings import Settings
from functions.kit.text import MultilineText, Text
from functions.scan.enqueue import enqueue
from functions.scan.errors import ScanJobNotFound
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.model import ScanJob
from functions.scan.ports import ScanRepository

PREFIX = "/api/v1/scan"
log = logging.getLogger(__name__)


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    image_url: Text = Field(min_length=1, max_length=2048)
    user_input: MultilineText | None = Field(default=None, max_length=500)
    model: Text | None = Field(default=None, max_length=100)


class ScanAccepted(BaseModel):
    job_id: str
    stream_url: str  # relative: /api/v1/scan/{job_id}/events
    result_url: str  # relative: /api/v1/scan/{job_id}/result
    status: Literal["queued"]


class MiddleCategory(BaseModel):
    middle_category: str
    display_name: str
    items: list[str]


class Category(BaseModel):
    major_category: str
    middle_categories: list[MiddleCategory]


class ScanResult(BaseModel):
    """The stored final result (http-api.md, Scan): completed, or failed with `error`."""

    model_config = ConfigDict(extra="allow")

    task_id: str
    status: Literal["completed", "failed"]
    message: str
    pipeline_result: dict[str, Any] | None
    reward: dict[str, Any] | None


class ScanProcessing(BaseModel):
    status: Literal["processing"]
    current_stage: str
    progress: int


RESULT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": ScanResult, "description": "The final result"},
    202: {
        "model": ScanProcessing,
        "description": "Still processing: poll again after `Retry-After` seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "required": True}},
    },
    **errors(401, 404),
}
IdempotencyKey = Annotated[Text | None, Header(alias="X-Idempotency-Key", max_length=200)]


def router(
    *,
    scan_jobs: ScanRepository,
    event_bus: EventBus,
    publisher: Publisher,
    llm: LLM,
    object_store: ObjectStore,
    scan_knowledge: KnowledgeBase,
    settings: Settings,
) -> APIRouter:
    api = APIRouter(tags=["scan"])

    @api.post(
        "",
        status_code=202,
        response_model=ScanAccepted,
        responses=errors(400, 401, 404, 413, 503),
    )
    async def submit(body: ScanIn, user: CurrentUser, key: IdempotencyKey = None) -> dict[str, Any]:
        model = llm.check_model(body.model)
        image = await resolve_image(object_store, body.image_url, user, settings.images_max_bytes)
        fresh = ScanJob(
            id=str(uuid.uuid4()), user_id=user, image_url=body.image_url, image_key=image.key,
            content_type=image.content_type, user_input=(body.user_input or "").strip() or None,
            model=model, status="queued", result=None, created_at=datetime.now(UTC),
        )  # fmt: skip
        job = await scan_jobs.create(fresh, key, settings.scan_idempotency_ttl_s)
        if not job.finished:  # a repeat of a live job re-publishes (same event id: run once)
            await _enqueue_or_leave_to_sweeper(job, event_bus, publisher)
        return {
            "job_id": job.id,
            "stream_url": f"{PREFIX}/{job.id}/events",
            "result_url": f"{PREFIX}/{job.id}/result",
            "status": "queued",
        }

    @api.get(  # behind the edge like the rest: the identity says so here too (and in the doc)
        "/categories",
        response_model=list[Category],
        responses=errors(401),
        dependencies=[Depends(current_user)],
    )
    async def categories() -> list[dict[str, Any]]:
        return scan_knowledge.categories()

    @api.get("/{job_id}/result", response_model=None, responses=RESULT_RESPONSES)
    async def result(job_id: str, user: CurrentUser) -> dict[str, Any] | JSONResponse:
        job = await scan_jobs.get(job_id)
        if job is None or job.user_id != user:
            raise ScanJobNotFound(f"no scan job {job_id}")
        if job.finished and job.result is not None:
            return job.result
        state = await event_bus.latest_state(job.id)
        body = {
            "status": "processing",
            "current_stage": state.stage if state else "queued",
            "progress": state.progress if state else 0,
        }
        return JSONResponse(body, status_code=202, headers={"Retry-After": "2"})

    return api


async def _enqueue_or_leave_to_sweeper(job: ScanJob, bus: EventBus, publisher: Publisher) -> None:
    """The stored job is the promise (the job row is the outbox): if the stream or the broker
    cannot take it now — a publish that timed out may even have reached the broker — the
    request is still accepted and `scan-sweep` publishes it once it has waited too long."""
    try:
        await enqueue(job, bus, publisher)
    except UnavailableError as exc:  # the bus or the broker, as their adapters translate them
        log.warning("scan job %s stored, not yet enqueued (the sweeper will): %s", job.id, exc)
