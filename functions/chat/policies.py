"""Every node's policy, as data: how long it may take, how often it is retried, what its
failure means for the run, and when its circuit opens (domain.md: 5 failures → open 60 s).

Fail modes:
- `open`: the run goes on without that node's context (the answer says what is missing);
- `fallback`: as open, and the aggregator runs the fallback chain rag → web_search → general
  for the intent that needed it (intent: the keyword rules decide instead of the model);
- `closed`: the run ends as failed (`done` failed): there is no answer without this node.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from functions.kit.llm.breaker import CircuitBreaker


class FailMode(enum.Enum):
    OPEN = "open"
    FALLBACK = "fallback"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class NodePolicy:
    timeout_s: float
    retries: int  # extra attempts after the first (a timeout counts as a failed attempt)
    fail: FailMode
    breaker_failures: int = 5
    breaker_open_s: float = 60.0
    backoff_s: float = 0.2  # before retry n: backoff_s * 2^(n-1)


LLM_NODE = 120.0  # above one LLM call with its own retries and fallback (ADR 0010)
PUBLIC_DATA = NodePolicy(timeout_s=8.0, retries=1, fail=FailMode.OPEN)

POLICIES: Mapping[str, NodePolicy] = {
    "intent": NodePolicy(timeout_s=LLM_NODE, retries=0, fail=FailMode.FALLBACK),
    "vision": NodePolicy(timeout_s=LLM_NODE, retries=0, fail=FailMode.OPEN),
    "waste_rag": NodePolicy(timeout_s=5.0, retries=1, fail=FailMode.FALLBACK),
    "character": NodePolicy(timeout_s=5.0, retries=1, fail=FailMode.OPEN),
    "location": PUBLIC_DATA,
    "bulk_waste": PUBLIC_DATA,
    "recyclable_price": PUBLIC_DATA,
    "collection_point": PUBLIC_DATA,
    "weather": NodePolicy(timeout_s=5.0, retries=1, fail=FailMode.OPEN),
    # The provider's tools: one attempt each (a search or a picture is billed per call);
    # no web results or a failed search hands over to the chain, a failed picture is said.
    "web_search": NodePolicy(timeout_s=60.0, retries=0, fail=FailMode.FALLBACK),
    "image_generation": NodePolicy(timeout_s=90.0, retries=0, fail=FailMode.OPEN),
    "general": NodePolicy(timeout_s=LLM_NODE, retries=0, fail=FailMode.OPEN),
    "summarize": NodePolicy(timeout_s=LLM_NODE, retries=0, fail=FailMode.OPEN),
    "aggregator": NodePolicy(timeout_s=LLM_NODE, retries=0, fail=FailMode.CLOSED),
    "answer": NodePolicy(timeout_s=240.0, retries=0, fail=FailMode.CLOSED),
}


class Breakers:
    """One circuit breaker per node, per process, with the node's own thresholds."""

    def __init__(
        self,
        policies: Mapping[str, NodePolicy] = POLICIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policies = dict(policies)
        self._breakers = {
            name: CircuitBreaker(p.breaker_failures, p.breaker_open_s, clock)
            for name, p in self.policies.items()
        }

    def __getitem__(self, node: str) -> CircuitBreaker:
        return self._breakers[node]
