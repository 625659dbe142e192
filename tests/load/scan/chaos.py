"""--chaos: crash the workers and disturb RabbitMQ while the users keep scanning; every action
is logged with its time.

The default plan `kill@0.2,rabbit@0.45,kill@0.7`: at 20 % of the run every worker gets
SIGKILL (all restarted together `down_s` later), at 45 % RabbitMQ restarts (`rabbitmqctl
stop_app` then `start_app`: the shared server, every user of it notices), at 70 % the workers
are killed again. `drop@F` instead closes only this run's AMQP connections through the
management API (what a broker restart does to the mesh, without touching anyone else's).
What must hold afterwards is checked by the bench (every job ends with a stored result, no
character granted twice), not here.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from tests.load.scan.namespace import Servers, api_client, restart_rabbitmq
from tests.load.scan.procs import Stack

DEFAULT_PLAN = "kill@0.2,rabbit@0.45,kill@0.7"
ACTIONS = ("kill", "rabbit", "drop")


@dataclass
class ChaosLog:
    actions: list[tuple[float, str]] = field(default_factory=list)  # (s since go, what)
    errors: list[str] = field(default_factory=list)

    def note(self, t0: float, what: str) -> None:
        self.actions.append((time.monotonic() - t0, what))


def parse_plan(plan: str) -> list[tuple[float, str]]:
    """`kill@0.2,rabbit@0.45` -> [(0.2, "kill"), (0.45, "rabbit")], checked, in time order."""
    steps = []
    for item in filter(None, (p.strip() for p in plan.split(","))):
        action, _, at = item.partition("@")
        if action not in ACTIONS or not 0 <= float(at or "x") < 1:
            raise ValueError(f"chaos step {item!r}: want <{'|'.join(ACTIONS)}>@<0..1>")
        steps.append((float(at), action))
    return sorted(steps)


async def _kill_workers(stack: Stack, log: ChaosLog, t0: float, down_s: float) -> None:
    pids = [w.pid for w in stack.workers]
    for worker in stack.workers:
        worker.kill()
    log.note(t0, f"SIGKILL workers {pids}")
    await asyncio.gather(*(w.proc.wait() for w in stack.workers if w.proc is not None))
    await asyncio.sleep(down_s)
    await asyncio.gather(*(w.start() for w in stack.workers))
    log.note(t0, f"workers back {[w.pid for w in stack.workers]}")


async def _restart_rabbit(stack: Stack, log: ChaosLog, t0: float) -> None:
    log.note(t0, "rabbitmqctl stop_app")
    took = await restart_rabbitmq(stack.http.env["ECO2_AMQP_URL"])
    log.note(t0, f"RabbitMQ accepting again ({took:.1f} s)")


async def _drop_connections(stack: Stack, servers: Servers, log: ChaosLog, t0: float) -> None:
    vhost = unquote(urlsplit(stack.http.env["ECO2_AMQP_URL"]).path.lstrip("/"))
    async with api_client(servers.rabbit_api) as api:
        found = (await api.get(f"/api/vhosts/{quote(vhost, safe='')}/connections")).json()
        for conn in found:
            name = quote(conn["name"], safe="")
            await api.delete(f"/api/connections/{name}", headers={"X-Reason": "scan bench chaos"})
    log.note(t0, f"closed this run's {len(found)} AMQP connections")


async def run_chaos(
    stack: Stack,
    servers: Servers,
    t0: float,
    duration_s: float,
    *,
    plan: str = DEFAULT_PLAN,
    down_s: float = 5.0,
) -> ChaosLog:
    log = ChaosLog()
    for at, action in parse_plan(plan):
        await asyncio.sleep(max(0.0, t0 + at * duration_s - time.monotonic()))
        try:
            if action == "kill":
                await _kill_workers(stack, log, t0, down_s)
            elif action == "rabbit":
                await _restart_rabbit(stack, log, t0)
            else:
                await _drop_connections(stack, servers, log, t0)
        except Exception as exc:  # reported, and the run goes on
            log.errors.append(f"{type(exc).__name__}: {exc}")
            log.note(t0, f"chaos step {action} failed: {exc}")
    return log
