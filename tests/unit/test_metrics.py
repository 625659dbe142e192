"""The process's Prometheus metrics (functions/kit/metrics.py): the dispatcher counts every
delivery by outcome and times its handler; LLM usage records count tokens and cost."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from cloudevents.http import CloudEvent
from prometheus_client.parser import text_string_to_metric_families

from eventing.broker.dispatch import Dispatcher
from eventing.broker.policy import DeliveryPolicy
from eventing.broker.port import Subscription
from eventing.errors import PermanentError, TransientError
from eventing.idempotency import MemoryProcessedStore
from functions.kit.llm.usage import MemoryUsageRecorder, MeteredUsageRecorder, UsageRecord
from functions.kit.metrics import CONTENT_TYPE, Metrics


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every exposed sample, parsed back from the text format as Prometheus would read it."""
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


class Handler:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
        if self.error is not None:
            raise self.error
        return []


def _event(event_id: str) -> CloudEvent:
    attributes = {"type": "kr.eco2.scan.requested.v1", "source": "/eco2/scan/api", "id": event_id}
    return CloudEvent(attributes, {})


async def test_deliveries_are_counted_by_outcome_and_handlers_timed() -> None:
    metrics = Metrics()

    async def publish(event: CloudEvent) -> None:
        return None

    dispatcher = Dispatcher(publish, MemoryProcessedStore(), observer=metrics)
    policy = DeliveryPolicy(retries=1)
    cases = [(None, "e1", 1), (TransientError("flaky"), "e2", 1),
             (TransientError("flaky"), "e3", 2), (PermanentError("bad"), "e4", 1)]  # fmt: skip
    for error, event_id, attempt in cases:
        sub = Subscription("scan-vision", Handler(error), delivery=policy)
        await dispatcher.process(sub, _event(event_id), attempt)
    found = samples(metrics)
    fn = ("function", "scan-vision")
    assert found[("eco2_deliveries_total", (fn, ("outcome", "ack")))] == 1
    assert found[("eco2_deliveries_total", (fn, ("outcome", "retry")))] == 1
    assert found[("eco2_deliveries_total", (fn, ("outcome", "dead")))] == 2
    assert found[("eco2_delivery_retries_total", (fn,))] == 1
    assert found[("eco2_dead_letters_total", (fn,))] == 2
    assert found[("eco2_handler_duration_seconds_count", (fn,))] == 4


async def test_llm_calls_count_tokens_and_cost() -> None:
    metrics = Metrics()
    inner = MemoryUsageRecorder()
    recorder = MeteredUsageRecorder(inner, metrics)
    record = UsageRecord(at=datetime.now(UTC), job_id="j1", task="answer", provider="openai",
                         model="gpt-5-mini", input_tokens=1200, output_tokens=300,
                         latency_s=0.4, ok=True, error=None, cost_usd=0.0009)  # fmt: skip
    await recorder.record(record)
    await recorder.record(record)
    found = samples(metrics)
    labels = (("model", "gpt-5-mini"), ("provider", "openai"))
    assert found[("eco2_llm_tokens_total", (("kind", "input"), *labels))] == 2400
    assert found[("eco2_llm_tokens_total", (("kind", "output"), *labels))] == 600
    assert abs(found[("eco2_llm_cost_usd_total", labels)] - 0.0018) < 1e-9
    assert inner.records == [record, record]  # the ledger still gets every record


def test_the_content_type_is_the_one_of_the_exposition_library() -> None:
    from prometheus_client.exposition import CONTENT_TYPE_LATEST  # noqa: PLC0415

    assert CONTENT_TYPE == CONTENT_TYPE_LATEST
