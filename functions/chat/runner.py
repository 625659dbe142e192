"""Running one node under its policy: breaker, timeout, retries, and what a failure means.

A node's work is an async call returning its context (or None: nothing to say). The outcome is
data the graph stores; only a fail-closed node raises (`NodeFailed`), which ends the run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from functions.chat.errors import NodeFailed
from functions.chat.policies import Breakers, FailMode

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]


class Outcome(TypedDict):
    """What a sub-agent adds to the run's state (one per node per run)."""

    job_id: str
    node: str
    ok: bool
    context: dict[str, Any] | None
    error: str | None
    fallback: bool  # failed under a fallback policy: the aggregator runs the chain


@dataclass
class Runner:
    breakers: Breakers
    sleep: Sleep = asyncio.sleep

    async def run(
        self, node: str, job_id: str, call: Callable[[], Awaitable[dict[str, Any] | None]]
    ) -> Outcome:
        policy = self.breakers.policies[node]
        breaker = self.breakers[node]
        error = "circuit open"
        for attempt in range(policy.retries + 1):
            if not breaker.allow():
                error = "circuit open"
                break
            if attempt:
                await self.sleep(policy.backoff_s * 2 ** (attempt - 1))
            try:
                async with asyncio.timeout(policy.timeout_s):
                    context = await call()
            except TimeoutError:
                error = f"no answer in {policy.timeout_s}s"
            except NodeFailed:
                raise
            except Exception as exc:  # a node's failure is data, classified by its policy
                log.warning("chat %s node %s failed: %s", job_id, node, exc, exc_info=exc)
                error = f"{type(exc).__name__}"
            else:
                breaker.success()
                return Outcome(job_id=job_id, node=node, ok=True, context=context, error=None,
                               fallback=False)  # fmt: skip
            breaker.failure()
        if policy.fail is FailMode.CLOSED:
            raise NodeFailed(node, error)
        return Outcome(job_id=job_id, node=node, ok=False, context=None, error=error,
                       fallback=policy.fail is FailMode.FALLBACK)  # fmt: skip
