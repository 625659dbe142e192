"""How a function is declared: once, next to its code, and read by everything else.

The mesh, the broker subscriptions, the functions-framework host and the Knative manifests are
all derived from these declarations, so a trigger or a scaling knob lives in exactly one place.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from eventing.broker.policy import Backoff, DeliveryPolicy
from eventing.events.mesh import PING
from eventing.filters import AttributeFilter, exact, prefix, suffix

__all__ = [
    "Backoff",
    "Delivery",
    "Exposure",
    "Function",
    "Kind",
    "Scaling",
    "Trigger",
    "exact",
    "prefix",
    "suffix",
]

Delivery = DeliveryPolicy  # retries, backoff, base delay, per-attempt timeout, dead letter
_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")  # a Knative Service name


class Kind(enum.Enum):
    EVENT = "event"  # triggered by CloudEvents from the broker
    HTTP = "http"  # serves a FastAPI router


class Exposure(enum.Enum):
    """Who may reach a function: the PWA through the edge, or only the cluster's own callers."""

    PUBLIC = "public"  # behind the edge (Envoy + ext-authz); the PWA's API
    INTERNAL = "internal"  # cluster-local: broker deliveries, sinks, feeds for other services


@dataclass(frozen=True, slots=True)
class Trigger:
    """CloudEvent `type` (exact) plus further attribute filters with any dialect."""

    type: str
    filters: tuple[AttributeFilter, ...] = ()
    ordered_by: str | None = None  # e.g. "partitionkey": same value → delivered in order

    def all_filters(self) -> tuple[AttributeFilter, ...]:
        return (exact("type", self.type), *self.filters)


@dataclass(frozen=True, slots=True)
class Scaling:
    """Knative Pod Autoscaler knobs; operators may override them in knative/overlays."""

    min_scale: int = 0
    max_scale: int = 10
    target_concurrency: int = 50  # soft target per replica (autoscaling.knative.dev/target)
    container_concurrency: int = 100  # hard limit per replica; also the consumer prefetch
    scale_down_delay_s: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.min_scale <= self.max_scale or self.max_scale < 1:
            raise ValueError("need 0 <= min_scale <= max_scale and max_scale >= 1")
        if self.container_concurrency < 1 or self.target_concurrency < 1:
            raise ValueError("concurrency settings must be >= 1")
        if self.target_concurrency > self.container_concurrency:
            raise ValueError("target_concurrency cannot exceed container_concurrency")
        if not 0 <= self.scale_down_delay_s <= 3600:
            raise ValueError("scale_down_delay_s must be within 0..3600")


@dataclass(frozen=True, slots=True)
class Schedule:
    """Run a function every `minutes` (a Knative PingSource deployed, a ticker locally)."""

    minutes: int

    def __post_init__(self) -> None:
        if not 1 <= self.minutes <= 59:
            raise ValueError("a schedule runs every 1..59 minutes")

    @property
    def cron(self) -> str:
        return "* * * * *" if self.minutes == 1 else f"*/{self.minutes} * * * *"


def ping_source(name: str, namespace: str) -> str:
    """The CloudEvent `source` of the PingSource named after a scheduled function."""
    return f"/apis/v1/namespaces/{namespace}/pingsources/{name}"


def scheduled(name: str) -> Trigger:
    """The trigger of a scheduled function: its own PingSource's events only."""
    return Trigger(type=PING, filters=(suffix("source", f"/pingsources/{name}"),))


@dataclass(frozen=True, slots=True)
class Function:
    """One deployable function: an event handler or an HTTP router factory.

    `handler` is a "module:attribute" path, imported only by the process that runs it, which
    keeps a single function's import-to-ready time down to what that function needs.
    """

    name: str
    domain: str
    handler: str
    kind: Kind = Kind.EVENT
    trigger: Trigger | None = None
    replies: tuple[str, ...] = ()
    delivery: Delivery = field(default_factory=Delivery)
    scaling: Scaling = field(default_factory=Scaling)
    route_prefix: str | None = None  # HTTP functions: where the router is mounted
    schedule: Schedule | None = None  # event functions triggered by time (trigger: scheduled())
    exposure: Exposure | None = None  # None: HTTP functions are public, event functions internal
    description: str = ""

    @property
    def public(self) -> bool:
        """Served behind the edge on the public listener; everything else is cluster-local."""
        if self.exposure is None:
            return self.kind is Kind.HTTP
        return self.exposure is Exposure.PUBLIC

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"{self.name!r} is not a valid Knative Service name")
        if ":" not in self.handler:
            raise ValueError(f"{self.name}: handler must be 'module:attribute'")
        if self.kind is Kind.EVENT and self.trigger is None:
            raise ValueError(f"{self.name}: an event function needs a trigger")
        if self.kind is Kind.HTTP and (self.trigger is not None or not self.route_prefix):
            raise ValueError(f"{self.name}: an HTTP function has a route_prefix and no trigger")
        if self.kind is Kind.EVENT and self.exposure is Exposure.PUBLIC:
            raise ValueError(f"{self.name}: an event function is only reached through the broker")
        if (self.schedule is not None) != (self.trigger == scheduled(self.name)):
            raise ValueError(f"{self.name}: a schedule goes with trigger=scheduled(name)")
