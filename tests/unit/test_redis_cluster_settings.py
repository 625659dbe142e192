"""Settings choose the Redis client and every endpoint (ADR 0020): a cluster client from
`ECO2_REDIS_CLUSTER`, the Go authz told the same, and no service address written in code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from redis.asyncio import Redis, RedisCluster

from functions.kit.authz_process import authz_command
from functions.kit.container import build_redis
from functions.kit.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# A URL of a network service, or a Kubernetes service name: such addresses are settings.
ENDPOINT = re.compile(r"(redis|rediss|amqp|amqps|postgres(ql)?|grpc)://|\.svc(\.cluster\.local)?\b")
# Where addresses may be written: the settings' defaults, and the manifest generator's
# overlay defaults (knative/overlays/scaling.yaml overrides them). manifests_persistent.py's
# KEDA addresses move to the k8s branch's `Endpoints` (settings-driven); then drop it here.
ALLOWED = {
    "functions/kit/settings.py",
    "functions/kit/manifests.py",
    "functions/kit/manifests_cluster.py",
}


@pytest.mark.parametrize(("cluster", "kind"), [(False, Redis), (True, RedisCluster)])
async def test_the_setting_picks_the_client(
    monkeypatch: pytest.MonkeyPatch, cluster: bool, kind: type
) -> None:
    monkeypatch.setenv("ECO2_REDIS_CLUSTER", "true" if cluster else "false")
    monkeypatch.setenv("ECO2_REDIS_URL", "redis://127.0.0.1:7001")
    client = build_redis(Settings())
    try:
        assert isinstance(client, kind)  # nothing is connected before the first command
    finally:
        await client.aclose()


def test_the_authz_follows_revocations_on_the_same_cluster() -> None:
    real = Settings(mode="real", redis_cluster=True, redis_url="redis://10.0.0.5:6379")
    command = authz_command(real, "authz")
    assert command[command.index("-redis-url") + 1] == "redis://10.0.0.5:6379"
    assert "-redis-cluster" in command
    assert "-redis-cluster" not in authz_command(Settings(mode="real"), "authz")


def test_no_service_address_is_written_in_code() -> None:
    found = []
    for path in sorted([*ROOT.glob("functions/**/*.py"), *ROOT.glob("eventing/**/*.py")]):
        name = path.relative_to(ROOT).as_posix()
        if name in ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ENDPOINT.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "addresses belong in functions/kit/settings.py:\n" + "\n".join(found)
