"""A scan stage that fails for good still ends its job visibly, on both brokers: the
dead-letter notice reaches `scan-failed`, which stores a failed result and emits `done` failed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from eventing.events.scan import ScanContext, ScanRequested
from functions.kit.mesh import Mesh
from functions.scan.model import ScanJob
from tests.support.recorder import eventually


async def test_a_missing_photo_fails_the_job_with_a_terminal_event(full_mesh: Mesh) -> None:
    mesh = full_mesh
    container = mesh.runtime.container
    jobs, bus, publisher = (
        await container.get("scan_jobs"), await container.get("event_bus"),
        await container.get("publisher"),
    )  # fmt: skip
    user, job_id = str(uuid.uuid4()), str(uuid.uuid4())
    key = f"scan/{user}/gone.png"  # never uploaded (or deleted since): vision cannot read it
    await jobs.create(ScanJob(
        id=job_id, user_id=user, image_url=f"http://x/media/{key}", image_key=key,
        content_type="image/png", user_input="우유팩", model="offline", status="queued",
        result=None, created_at=datetime.now(UTC),
    ), None, 3600)  # fmt: skip
    await bus.register_job(job_id, user, "scan")
    context = ScanContext(job_id=job_id, user_id=user, image_url=f"http://x/media/{key}",
                          image_key=key, content_type="image/png", user_input="우유팩",
                          model="offline")  # fmt: skip
    await publisher.publish(ScanRequested(context=context), event_id=job_id, subject=job_id)

    async def ended() -> bool:
        job = await jobs.get(job_id)
        return job is not None and job.finished

    await eventually(ended, timeout_s=20, what="the job to end")
    job = await jobs.get(job_id)
    assert job.status == "failed" and job.result["status"] == "failed"
    assert job.result["error"]["stage"] == "vision" and job.result["reward"] is None
    history = (await bus.read_since(job_id, 0)).events
    assert [(e.event, e.data["status"]) for e in history][-2:] == [
        ("vision", "failed"), ("done", "failed"),
    ]  # fmt: skip
    assert history[-1].data.get("result", {}).get("status") == "failed"
