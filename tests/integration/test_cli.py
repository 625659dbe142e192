"""The `eco2` command as operators use it."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from eventing.broker.policy import DeliveryPolicy
from eventing.broker.port import Subscription
from eventing.broker.rabbitmq import RabbitMQBroker
from eventing.filters import exact
from functions.kit.cli import main
from tests.rig import RedisNamespace
from tests.support.events import ORDER, Order, make_test_catalog
from tests.support.recorder import Recorder, eventually

REPO_KNATIVE = Path(__file__).parents[2] / "knative"


async def _dead_letter_one(amqp_url: str) -> str:
    broker = RabbitMQBroker(amqp_url)
    broker.subscribe(Subscription("flaky", Recorder(), (exact("type", ORDER),),
                                  DeliveryPolicy(retries=0)))  # fmt: skip
    await broker.start()
    event = make_test_catalog().make(Order(n=1, fail_times=1))
    await broker.publish(event)
    await eventually(lambda: _count(broker), what="a dead letter")
    await broker.close()
    return str(event["id"])


async def _count(broker: RabbitMQBroker) -> bool:
    return len(await broker.dead_letters()) == 1


@pytest.mark.integration
def test_dead_letters_listed_and_replayed_from_rabbitmq(
    amqp_url: str,
    redis_url_and_prefix: RedisNamespace,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event_id = asyncio.run(_dead_letter_one(amqp_url))
    monkeypatch.setenv("ECO2_AMQP_URL", amqp_url)
    monkeypatch.setenv("ECO2_REDIS_URL", redis_url_and_prefix.url)
    monkeypatch.setenv("ECO2_REDIS_PREFIX", redis_url_and_prefix.prefix)
    assert main(["dead-letters", "list"]) == 0
    letter = json.loads(capsys.readouterr().out.strip())
    assert letter["trigger"] == "flaky" and letter["event_id"] == event_id
    assert letter["attempts"] == 1 and "failed on purpose" in letter["error"]
    assert main(["dead-letters", "replay", "--id", letter["id"]]) == 0
    assert json.loads(capsys.readouterr().out) == {"replayed": 1}
    assert main(["dead-letters", "list"]) == 0
    assert capsys.readouterr().out == ""


def test_functions_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["functions"]) == 0
    out = capsys.readouterr().out
    assert "mesh-canary" in out and "kr.eco2.mesh.canary.requested.v1" in out


def test_manifest_check_fails_on_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifests", "check", "--out", str(REPO_KNATIVE)]) == 0
    shutil.copytree(REPO_KNATIVE, tmp_path / "knative")
    service = tmp_path / "knative" / "generated" / "services" / "mesh-canary.yaml"
    service.write_text(service.read_text().replace("max-scale: '2'", "max-scale: '3'"))
    assert main(["manifests", "check", "--out", str(tmp_path / "knative")]) == 1
    assert f"stale: {service}" in capsys.readouterr().err
