"""The eventing side of the generated manifests: Triggers, the RabbitMQ-class Broker (on the
cluster's RabbitmqCluster, quorum queues), EventTypes and the schedules' PingSources."""

from __future__ import annotations

import json
from typing import Any

from eventing.filters import Dialect
from functions.kit.declare import Function
from functions.kit.functions import DEAD_LETTERS_PATH
from functions.kit.manifests_cluster import Endpoints
from functions.kit.registry import Registry

NAMESPACE = "eco2"
BROKER = "default"
DEAD_LETTERS = "mesh-dead-letters"
SERVICE_REF = {"apiVersion": "serving.knative.dev/v1", "kind": "Service"}
DEAD_LETTER_SINK = {"ref": {**SERVICE_REF, "name": DEAD_LETTERS}, "uri": DEAD_LETTERS_PATH}


def _duration(seconds: float) -> str:
    """ISO-8601 duration, as Knative's delivery spec wants it."""
    return f"PT{seconds:g}S"


def trigger(fn: Function, parallelism_limit: int) -> dict[str, Any]:
    assert fn.trigger is not None
    filters = fn.trigger.all_filters()
    exact_only = {f.attribute: f.value for f in filters if f.dialect is Dialect.EXACT}
    parallelism = 1 if fn.trigger.ordered_by else parallelism_limit
    spec: dict[str, Any] = {"broker": BROKER, "filter": {"attributes": exact_only}}
    if any(f.dialect is not Dialect.EXACT for f in filters):
        spec["filters"] = [{f.dialect.value: {f.attribute: f.value}} for f in filters]
    spec["subscriber"] = {"ref": {**SERVICE_REF, "name": fn.name}}
    delivery = fn.delivery
    spec["delivery"] = {
        "retry": delivery.retries,
        "backoffPolicy": delivery.backoff.value,
        "backoffDelay": _duration(delivery.base_delay_s),
        "timeout": _duration(delivery.timeout_s),
    }
    if delivery.dead_letter:
        spec["delivery"]["deadLetterSink"] = DEAD_LETTER_SINK
    return {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Trigger",
        "metadata": {
            "name": fn.name,
            "namespace": NAMESPACE,
            "annotations": {"rabbitmq.eventing.knative.dev/parallelism": str(parallelism)},
            "labels": {"eco2.kr/domain": fn.domain},
        },
        "spec": spec,
    }


def broker_documents(endpoints: Endpoints) -> list[dict[str, Any]]:
    config = {
        "apiVersion": "eventing.knative.dev/v1alpha1",
        "kind": "RabbitmqBrokerConfig",
        "metadata": {"name": f"{BROKER}-config", "namespace": NAMESPACE},
        "spec": {
            "rabbitmqClusterReference": {
                "name": endpoints.rabbitmq,  # the RabbitmqCluster of knative/cluster
                "namespace": endpoints.namespace,
            },
            "queueType": "quorum",
        },
    }
    broker = {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Broker",
        "metadata": {
            "name": BROKER,
            "namespace": NAMESPACE,
            "annotations": {"eventing.knative.dev/broker.class": "RabbitMQBroker"},
        },
        "spec": {
            "config": {
                "apiVersion": "eventing.knative.dev/v1alpha1",
                "kind": "RabbitmqBrokerConfig",
                "name": f"{BROKER}-config",
            },
            "delivery": {"deadLetterSink": DEAD_LETTER_SINK},
        },
    }
    return [config, broker]


def event_types(registry: Registry) -> list[dict[str, Any]]:
    documents = []
    for spec in sorted(registry.catalog, key=lambda s: s.type):
        documents.append(
            {
                "apiVersion": "eventing.knative.dev/v1beta2",
                "kind": "EventType",
                "metadata": {"name": spec.type.replace(".", "-"), "namespace": NAMESPACE},
                "spec": {
                    "type": spec.type,
                    "source": spec.source,
                    "description": spec.description,
                    "reference": {
                        "apiVersion": "eventing.knative.dev/v1",
                        "kind": "Broker",
                        "name": BROKER,
                    },
                },
            }
        )
    return documents


def ping_source_document(fn: Function) -> dict[str, Any]:
    """The PingSource that ticks a scheduled function, through the broker like any event."""
    assert fn.schedule is not None
    return {
        "apiVersion": "sources.knative.dev/v1",
        "kind": "PingSource",
        "metadata": {
            "name": fn.name,
            "namespace": NAMESPACE,
            "labels": {"eco2.kr/domain": fn.domain},
        },
        "spec": {
            "schedule": fn.schedule.cron,
            "contentType": "application/json",
            "data": json.dumps({"function": fn.name}),
            "sink": {
                "ref": {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "name": BROKER}
            },
        },
    }
