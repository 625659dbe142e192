"""`POST /scan` when the broker refuses the request event: the stored job is accepted and the
sweeper publishes it later; and `GET /scan/{id}/result` while a job runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from cloudevents.http import CloudEvent
from fastapi import FastAPI

from eventing.bus.memory import InMemoryEventBus
from eventing.catalog import default_catalog
from eventing.errors import BrokerUnavailableError
from eventing.events.mesh import Ping
from functions.images.blob_stores import MemoryBlobStore
from functions.images.local_store import LocalObjectStore
from functions.kit import http as kit_http
from functions.kit.llm.client import LLMClient
from functions.kit.llm.offline_provider import OfflineProvider
from functions.kit.progress import Progress
from functions.kit.publisher import Publisher
from functions.kit.settings import Settings
from functions.scan import api
from functions.scan.knowledge.loader import load_knowledge
from functions.scan.memory_repository import MemoryScanRepository
from functions.scan.model import ScanJob
from functions.scan.sweep import sweep
from tests.support.photos import png_1x1

BASE = "http://mesh"


async def refuse(event: CloudEvent) -> None:
    raise BrokerUnavailableError("RabbitMQ is down")


class FlakyBroker:
    """Refuses publishes while `down`, records them once up."""

    def __init__(self) -> None:
        self.down = True
        self.sent: list[CloudEvent] = []

    async def send(self, event: CloudEvent) -> None:
        if self.down:
            await refuse(event)
        self.sent.append(event)


async def test_a_refused_publish_is_accepted_and_left_to_the_sweeper() -> None:
    user = str(uuid.uuid4())
    blobs = MemoryBlobStore()
    store = LocalObjectStore(blobs, BASE, b"k" * 32)
    key = f"scan/{user}/{uuid.uuid4().hex}.png"
    await blobs.put(key, png_1x1(), "image/png")
    jobs, bus, broker = MemoryScanRepository(), InMemoryEventBus(), FlakyBroker()
    publisher = Publisher(default_catalog(), broker.send)
    llm = LLMClient({"offline": OfflineProvider()}, allowed_models=["offline"],
                    default_model="offline")  # fmt: skip
    app = FastAPI()
    kit_http.install(app)
    app.include_router(api.router(
        scan_jobs=jobs, event_bus=bus, publisher=publisher, llm=llm, object_store=store,
        scan_knowledge=load_knowledge(), settings=Settings(),
    ), prefix=api.PREFIX)  # fmt: skip
    body = {"image_url": store.public_url(key)}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        accepted = await http.post(api.PREFIX, json=body, headers={"x-user-id": user})
    assert accepted.status_code == 202  # the job is stored: that is the promise
    job_id = accepted.json()["job_id"]
    assert broker.sent == []
    broker.down = False
    settings = Settings(scan_sweep_after_s=0)
    await sweep(Ping(function="scan-sweep"), jobs, bus, publisher, settings)
    assert [(e["type"], e["id"]) for e in broker.sent] == [("kr.eco2.scan.requested.v1", job_id)]
    job = await jobs.get(job_id)
    assert job is not None and job.status == "queued"
    history = (await bus.read_since(job_id, 0)).events
    assert [(e.event, e.data["status"]) for e in history] == [("queued", "completed")]


async def test_the_result_is_202_while_processing_and_404_for_others() -> None:
    user, job_id = str(uuid.uuid4()), str(uuid.uuid4())
    jobs, bus = MemoryScanRepository(), InMemoryEventBus()
    await jobs.create(ScanJob(
        id=job_id, user_id=user, image_url="u", image_key="k", content_type="image/png",
        user_input=None, model="offline", status="queued", result=None,
        created_at=datetime.now(UTC),
    ), None, 3600)  # fmt: skip
    await bus.register_job(job_id, user, "scan")
    await Progress(bus, job_id).emit("vision", "started", progress=10)
    llm = LLMClient({"offline": OfflineProvider()}, allowed_models=["offline"],
                    default_model="offline")  # fmt: skip
    app = FastAPI()
    kit_http.install(app)
    app.include_router(api.router(
        scan_jobs=jobs, event_bus=bus, publisher=Publisher(default_catalog(), refuse), llm=llm,
        object_store=LocalObjectStore(MemoryBlobStore(), BASE, b"k" * 32),
        scan_knowledge=load_knowledge(), settings=Settings(),
    ), prefix=api.PREFIX)  # fmt: skip
    url = f"{api.PREFIX}/{job_id}/result"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        waiting = await http.get(url, headers={"x-user-id": user})
        assert waiting.status_code == 202 and waiting.headers["retry-after"] == "2"
        assert waiting.json() == {"status": "processing", "current_stage": "vision", "progress": 10}
        other = await http.get(url, headers={"x-user-id": str(uuid.uuid4())})
        assert (other.status_code, other.json()["code"]) == (404, "SCAN_JOB_NOT_FOUND")
        await jobs.finish(job_id, "completed", {"status": "completed"})
        assert (await http.get(url, headers={"x-user-id": user})).json() == {"status": "completed"}
        assert (await http.get(url)).status_code == 401
