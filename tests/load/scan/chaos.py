"""--chaos: crash the workers (SIGKILL, restarted a few seconds later) twice and restart
RabbitMQ once while the users keep scanning; every action is logged with its time.

At 20 % of the run every worker is killed, at 45 % RabbitMQ restarts (`rabbitmqctl stop_app`
then `start_app`), at 70 % the workers are killed again. Killed workers come back after
`down_s`. What must hold afterwards is checked by the bench (every job ends with a stored
result, no character granted twice), not here.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from tests.load.scan.namespace import restart_rabbitmq
from tests.load.scan.procs import Stack

KILL_AT, RABBIT_AT, KILL_AGAIN_AT = 0.20, 0.45, 0.70


@dataclass
class ChaosLog:
    actions: list[tuple[float, str]] = field(default_factory=list)  # (s since go, what)
    errors: list[str] = field(default_factory=list)

    def note(self, t0: float, what: str) -> None:
        self.actions.append((time.monotonic() - t0, what))


async def _kill_workers(stack: Stack, log: ChaosLog, t0: float, down_s: float) -> None:
    pids = [w.pid for w in stack.workers]
    for worker in stack.workers:
        worker.kill()
    log.note(t0, f"SIGKILL workers {pids}")
    await asyncio.sleep(down_s)
    for worker in stack.workers:
        if worker.proc is not None:
            await worker.proc.wait()
        await worker.start()
    log.note(t0, f"workers back {[w.pid for w in stack.workers]}")


async def _restart_rabbit(stack: Stack, log: ChaosLog, t0: float) -> None:
    log.note(t0, "rabbitmqctl stop_app")
    took = await restart_rabbitmq(stack.http.env["ECO2_AMQP_URL"])
    log.note(t0, f"RabbitMQ accepting again ({took:.1f} s)")


async def run_chaos(stack: Stack, t0: float, duration_s: float, down_s: float = 5.0) -> ChaosLog:
    log = ChaosLog()
    steps = ((KILL_AT, "kill"), (RABBIT_AT, "rabbitmq"), (KILL_AGAIN_AT, "kill"))
    for at, action in steps:
        await asyncio.sleep(max(0.0, t0 + at * duration_s - time.monotonic()))
        try:
            if action == "kill":
                await _kill_workers(stack, log, t0, down_s)
            else:
                await _restart_rabbit(stack, log, t0)
        except Exception as exc:  # reported, and the run goes on
            log.errors.append(f"{type(exc).__name__}: {exc}")
            log.note(t0, f"chaos step failed: {exc}")
    return log
