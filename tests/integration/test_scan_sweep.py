"""The outbox half of `POST /scan`: a job stored but never published (its publish failed and
the client never retried) is found by the scheduled sweeper and runs to `done`, on both
brokers; the tick comes from the mesh's stand-in for Knative's PingSource."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from functions.kit.mesh import Mesh
from functions.kit.settings import Settings
from functions.scan.model import ScanJob
from tests.support.photos import png_1x1
from tests.support.recorder import eventually


@pytest.fixture
def either_settings(either_settings: Settings) -> Settings:
    """Tick every 0.3 s and sweep any queued job at once."""
    return either_settings.model_copy(update={"ticker_interval_s": 0.3, "scan_sweep_after_s": 0})


async def test_a_job_never_published_is_swept_and_completes(full_mesh: Mesh) -> None:
    mesh = full_mesh
    assert mesh.runtime is not None
    container = mesh.runtime.container
    jobs = await container.get("scan_jobs")
    store = await container.get("object_store")
    bus = await container.get("event_bus")
    user, job_id = str(uuid.uuid4()), str(uuid.uuid4())
    key = f"scan/{user}/{uuid.uuid4().hex}.png"
    await store.blobs.put(key, png_1x1(), "image/png")
    await jobs.create(ScanJob(
        id=job_id, user_id=user, image_url=store.public_url(key), image_key=key,
        content_type="image/png", user_input="우유팩", model="offline", status="queued",
        result=None, created_at=datetime.now(UTC),
    ), None, 3600)  # fmt: skip

    async def completed() -> bool:
        found = await jobs.get(job_id)
        return found is not None and found.status == "completed"

    await eventually(completed, timeout_s=20, what="the swept job to complete")
    history = (await bus.read_since(job_id, 0)).events
    assert [(e.event, e.data["status"]) for e in history][-1] == ("done", "completed")
    assert [e.event for e in history].count("queued") == 1  # re-sweeps change nothing
