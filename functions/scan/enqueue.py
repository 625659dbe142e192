"""Putting a job on its way: the stream first, then the request event.

Shared by `POST /scan` and the sweeper; re-enqueueing is always safe: the bus keeps one
`queued` per job and the broker runs one event id at most once.
"""

from __future__ import annotations

from eventing.bus.port import EventBus
from eventing.events.scan import ScanContext, ScanRequested
from functions.kit.progress import Progress
from functions.kit.publisher import Publisher
from functions.scan.model import KIND, ScanJob


async def enqueue(job: ScanJob, bus: EventBus, publisher: Publisher) -> None:
    """Register the stream (owner, kind), say `queued`, then publish the request (its id is
    the job id): the SSE stream exists before any stage can emit into it."""
    await bus.register_job(job.id, job.user_id, KIND)
    await Progress(bus, job.id).queued()
    context = ScanContext(
        job_id=job.id, user_id=job.user_id, image_url=job.image_url, image_key=job.image_key,
        content_type=job.content_type, user_input=job.user_input, model=job.model,
    )  # fmt: skip
    await publisher.publish(ScanRequested(context=context), event_id=job.id, subject=job.id)
