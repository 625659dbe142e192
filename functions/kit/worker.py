"""Which part of the local mesh a process serves, so the real mode can run as several processes.

    eco2 run --real                              # all: today's single process
    eco2 run --real --serve http                 # API, SSE, edge, ingress; no event consumers
    eco2 run --real --serve events --functions 'scan-*,character-*'   # consumers only

An `http` process publishes to RabbitMQ and declares every event function's trigger queue
(as Knative creates a Trigger whether or not its pods run), so nothing it publishes is dropped
while no worker is up; `events` processes consume the selected functions and answer only
`/health` and `/ready`. The embedded mode has a memory broker, so it stays one process.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cloudevents.http import CloudEvent

from eventing.broker.port import Subscription
from functions.kit.bootstrap import subscription_for
from functions.kit.declare import Function, Kind
from functions.kit.registry import Registry
from functions.kit.settings import Settings

Serve = Literal["all", "http", "events"]
SERVES: tuple[Serve, ...] = ("all", "http", "events")
# How `eco2 run --workers K` hands the role to each uvicorn worker (they import the factory).
ENV_SERVE, ENV_FUNCTIONS, ENV_ROUTER = "ECO2_MESH_SERVE", "ECO2_MESH_FUNCTIONS", "ECO2_MESH_ROUTER"


class RoleError(ValueError):
    """A role that cannot run as asked (told to the operator as is)."""


@dataclass(frozen=True, slots=True)
class Role:
    serve: Serve = "all"
    functions: tuple[str, ...] = ()  # glob patterns of event functions; () = every one
    router: bool | None = None  # the event router as a task; None = with the HTTP side

    @classmethod
    def parse(cls, serve: str, functions: str | None = None, router: bool | None = None) -> Role:
        if serve not in SERVES:
            raise RoleError(f"--serve must be one of {', '.join(SERVES)}, not {serve!r}")
        patterns = tuple(p.strip() for p in (functions or "").split(",") if p.strip())
        return cls(serve, patterns, router)

    @property
    def http(self) -> bool:
        return self.serve in ("all", "http")

    @property
    def consumes(self) -> bool:
        return self.serve in ("all", "events")

    @property
    def runs_router(self) -> bool:
        return self.http if self.router is None else self.router

    def check(self, settings: Settings) -> None:
        """A split needs a shared broker: refuse it in the embedded mode, with the reason."""
        if settings.mode == "embedded" and self.serve != "all":
            raise RoleError(
                f"--serve {self.serve} needs --real: the embedded mode's broker, bus and stores "
                "live in one process's memory, so it cannot be split"
            )
        if self.functions and not self.consumes:
            raise RoleError("--functions selects event functions: use it with --serve events|all")

    def event_functions(self, registry: Registry) -> list[Function]:
        """The event functions this process consumes; patterns that match nothing are an error
        (a typo would otherwise leave a trigger queue filling up with no consumer)."""
        if not self.consumes:
            return []
        events = registry.of_kind(Kind.EVENT)
        if not self.functions:
            return events

        def matches(fn: Function, pattern: str) -> bool:
            return fnmatch.fnmatchcase(fn.name, pattern)

        unmatched = [p for p in self.functions if not any(matches(f, p) for f in events)]
        if unmatched:
            known = ", ".join(f.name for f in events)
            raise RoleError(f"--functions {','.join(unmatched)} matches none of: {known}")
        return [f for f in events if any(matches(f, p) for p in self.functions)]

    def to_env(self) -> dict[str, str]:
        env = {ENV_SERVE: self.serve, ENV_FUNCTIONS: ",".join(self.functions)}
        if self.router is not None:
            env[ENV_ROUTER] = "1" if self.router else "0"
        return env

    @classmethod
    def from_settings(cls, settings: Settings) -> Role:
        """The role `eco2 run --workers K` handed its workers (ECO2_MESH_*, read by Settings)."""
        return cls.parse(settings.mesh_serve, settings.mesh_functions, settings.mesh_router)


async def declare_triggers(settings: Settings, functions: list[Function]) -> None:
    """Declare the trigger queues (and their retry queues) of `functions` on RabbitMQ without
    consuming them, so events published before their worker starts wait in their queue."""
    import aio_pika  # noqa: PLC0415 - real mode only

    from eventing.broker.rabbitmq_topology import (  # noqa: PLC0415
        Names,
        declare_broker,
        declare_trigger,
    )

    names = Names(settings.broker)
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        await declare_broker(channel, names, settings.queue_type)
        for fn in functions:
            sub: Subscription = subscription_for(fn, _Idle())
            await declare_trigger(channel, names, sub, settings.queue_type)


class _Idle:
    """Never called: a subscription needs a subscriber, a declaration does not use it."""

    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
        raise RuntimeError("a declared-only trigger has no subscriber in this process")
