"""`scan-sweep`: every minute, re-publish the request of every job still queued after
`ECO2_SCAN_SWEEP_AFTER_S` — the outbox half of `POST /scan` (ADR 0011).

A request whose publish failed would otherwise leave its job queued forever with no terminal
event. Re-publishing a job that is merely slow costs a duplicate the broker drops (same event
id); a stage that finds its job ended does nothing.
"""

from __future__ import annotations

import logging

from eventing.bus.port import EventBus
from eventing.events.mesh import Ping
from functions.kit.publisher import Publisher
from functions.kit.settings import Settings
from functions.scan.enqueue import enqueue
from functions.scan.ports import ScanRepository

log = logging.getLogger(__name__)
BATCH = 500


async def sweep(
    data: Ping,
    scan_jobs: ScanRepository,
    event_bus: EventBus,
    publisher: Publisher,
    settings: Settings,
) -> None:
    stale = await scan_jobs.stale_queued(settings.scan_sweep_after_s, BATCH)
    for job in stale:
        await enqueue(job, event_bus, publisher)
    if stale:
        log.info("%s: re-published %d queued scan job(s)", data.function, len(stale))
