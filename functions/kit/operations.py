"""The mesh's operational routes: probes on both listeners, operator calls on the internal one.

Operator calls (dead letters, replay, canary) sit on the internal listener only, behind the
edge's operator check: the authorizer injects `x-operator` for a token with the operator role,
and every call is logged with that identity, since replaying or reading dead letters touches
other users' work.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from cloudevents.conversion import to_dict
from cloudevents.http import CloudEvent
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from eventing.broker.port import Broker
from eventing.events.mesh import CanaryEchoed, CanaryRequested
from functions.kit import errors
from functions.kit.authz_check import AuthzCheck
from functions.kit.identity import CurrentOperator
from functions.kit.publisher import Publisher

log = logging.getLogger("eco2.operations")
Readiness = Callable[[], Awaitable[dict[str, Any]]]


class CanaryWatch:
    """Resolves a waiting probe when its echo comes back through the broker."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[CanaryEchoed]] = {}

    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
        echoed = CanaryEchoed.model_validate(event.get_data())
        future = self.waiting.get(echoed.probe_id)
        if future is not None and not future.done():
            future.set_result(echoed)
        return ()

    async def probe(self, publisher: Publisher, timeout_s: float) -> dict[str, Any]:
        """Publish a probe and wait for its echo: the broker path, timed end to end."""
        probe_id = str(uuid.uuid4())
        future: asyncio.Future[CanaryEchoed] = asyncio.get_running_loop().create_future()
        self.waiting[probe_id] = future
        started = time.perf_counter()
        try:
            await publisher.publish(CanaryRequested(probe_id=probe_id, sent_at=datetime.now(UTC)))
            await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise errors.UnavailableError(f"canary {probe_id} not echoed in {timeout_s}s") from None
        finally:
            self.waiting.pop(probe_id, None)
        return {
            "probe_id": probe_id,
            "round_trip_ms": round((time.perf_counter() - started) * 1000, 2),
        }


class ReplayRequest(BaseModel):
    ids: list[str] | None = Field(default=None, max_length=1000)  # None: every dead letter


def probes(broker: Broker, describe: Readiness, edge: AuthzCheck | None = None) -> APIRouter:
    """`/health` (alive) and `/ready` (503 while the broker is disconnected or restoring, or
    while the edge's authorizer cannot decide: the edge would refuse every request)."""
    router = APIRouter(tags=["operations"])

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        state = broker.health()
        ready, detail = state.ready, state.detail
        body: dict[str, Any] = {**await describe(), "modules": len(sys.modules)}
        if edge is not None:
            why = await edge.not_ready()
            body["edge"] = "ready" if why is None else why
            if why is not None and ready:  # a broker problem, if any, is said first
                ready, detail = False, f"edge: {why}"
        body |= {"ready": ready, "detail": detail}
        return JSONResponse(body, status_code=200 if ready else 503)

    return router


def operator_routes(broker: Broker, canary: CanaryWatch, publisher: Publisher) -> APIRouter:
    """Dead letters, replay and the canary, for operators only, each call logged with who."""
    router = APIRouter(prefix="/admin", tags=["operations"])

    @router.get("/dead-letters")
    async def dead_letters(operator: CurrentOperator, limit: int = 100) -> list[dict[str, Any]]:
        found = await broker.dead_letters(max(1, min(limit, 1000)))
        log.info("operator %s listed %d dead letters", operator, len(found))
        return [
            {
                "id": d.id,
                "trigger": d.trigger,
                "attempts": d.attempts,
                "error": d.error,
                "failed_at": d.failed_at.isoformat(),
                "event": to_dict(d.event) if d.event is not None else None,
            }
            for d in found
        ]

    @router.post("/dead-letters/replay")
    async def replay(operator: CurrentOperator, body: ReplayRequest) -> dict[str, int]:
        replayed = await broker.replay(body.ids)
        log.warning("operator %s replayed %d dead letters (ids: %s)", operator, replayed,
                    "all" if body.ids is None else ",".join(body.ids))  # fmt: skip
        return {"replayed": replayed}

    @router.post("/canary")
    async def probe(operator: CurrentOperator, timeout_s: float = 5.0) -> dict[str, Any]:
        log.info("operator %s sent a canary", operator)
        return await canary.probe(publisher, max(0.1, min(timeout_s, 60.0)))

    return router
