"""The process's Prometheus metrics: deliveries, retries, dead letters, handler latency, LLM
tokens and cost, HTTP requests (docs/adr/0019-observability.md).

One `Metrics` per process, built by the composition root with its own `CollectorRegistry`
(never prometheus-client's global one: a test process runs several meshes, and each must
count only its own). It is the dispatcher's `DeliveryObserver`; the LLM usage recorder and
the HTTP middleware call it too. Served as text on the internal listener's `/metrics` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

# prometheus-client is imported when a process builds its metrics, not when this is imported.
CONTENT_TYPE = "text/plain; version=1.0.0; charset=utf-8"  # as prometheus_client (a test checks)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
# Every series this module defines, by its exposed name (dashboards and alerts may use only
# these: tests/unit/test_observability_as_code.py checks them against knative/observability/).
DELIVERIES = "eco2_deliveries_total"
RETRIES = "eco2_delivery_retries_total"
DEAD_LETTERS = "eco2_dead_letters_total"
HANDLER_SECONDS = "eco2_handler_duration_seconds"
LLM_TOKENS = "eco2_llm_tokens_total"
LLM_COST = "eco2_llm_cost_usd_total"
LLM_CALLS = "eco2_llm_calls_total"
HTTP_REQUESTS = "eco2_http_requests_total"
HTTP_SECONDS = "eco2_http_request_duration_seconds"


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram  # noqa: PLC0415

        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        # prometheus-client appends `_total` to counters itself: names are given without it.
        self._deliveries = Counter(DELIVERIES[:-6], "Event deliveries by function and outcome.",
                                   ("function", "outcome"), registry=r)  # fmt: skip
        self._retries = Counter(RETRIES[:-6], "Failed delivery attempts that will be retried.",
                                ("function",), registry=r)  # fmt: skip
        self._dead = Counter(DEAD_LETTERS[:-6], "Deliveries given up on (dead-lettered).",
                             ("function",), registry=r)  # fmt: skip
        self._handler = Histogram(HANDLER_SECONDS, "Handler run time per delivery attempt.",
                                  ("function",), buckets=LATENCY_BUCKETS, registry=r)  # fmt: skip
        self._tokens = Counter(LLM_TOKENS[:-6], "LLM tokens by provider, model and kind.",
                               ("provider", "model", "kind"), registry=r)  # fmt: skip
        self._cost = Counter(LLM_COST[:-6], "LLM cost in US dollars (priced calls).",
                             ("provider", "model"), registry=r)  # fmt: skip
        self._calls = Counter(LLM_CALLS[:-6], "LLM calls by provider, model and result.",
                              ("provider", "model", "ok"), registry=r)  # fmt: skip
        self._http = Counter(HTTP_REQUESTS[:-6], "HTTP requests by route template and status.",
                             ("route", "method", "status"), registry=r)  # fmt: skip
        self._http_seconds = Histogram(HTTP_SECONDS, "HTTP request time by route template.",
                                       ("route",), buckets=LATENCY_BUCKETS,
                                       registry=r)  # fmt: skip

    # the dispatcher's DeliveryObserver
    def delivered(self, trigger: str, outcome: str) -> None:
        self._deliveries.labels(trigger, outcome).inc()
        if outcome == "retry":
            self._retries.labels(trigger).inc()
        elif outcome == "dead":
            self._dead.labels(trigger).inc()

    def handled(self, trigger: str, seconds: float) -> None:
        self._handler.labels(trigger).observe(seconds)

    def llm_call(
        self, provider: str, model: str, *, input_tokens: int, output_tokens: int,
        cost_usd: float | None, ok: bool,
    ) -> None:  # fmt: skip
        self._calls.labels(provider, model, "true" if ok else "false").inc()
        if input_tokens:
            self._tokens.labels(provider, model, "input").inc(input_tokens)
        if output_tokens:
            self._tokens.labels(provider, model, "output").inc(output_tokens)
        if cost_usd:
            self._cost.labels(provider, model).inc(cost_usd)

    def http_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self._http.labels(route, method, str(status)).inc()
        self._http_seconds.labels(route).observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition of this process's series."""
        from prometheus_client import generate_latest  # noqa: PLC0415

        return generate_latest(self.registry)


EXPORTED = (DELIVERIES, RETRIES, DEAD_LETTERS, HANDLER_SECONDS, LLM_TOKENS, LLM_COST, LLM_CALLS,
            HTTP_REQUESTS, HTTP_SECONDS)  # fmt: skip
