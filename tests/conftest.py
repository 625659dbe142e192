"""Shared test wiring: the real-service rig plus the per-adapter broker and event bus factories."""

from pathlib import Path

import pytest

pytest_plugins = [
    "tests.rig",
    "tests.support.brokers",
    "tests.support.buses",
    "tests.support.mesh_settings",
]


@pytest.fixture(autouse=True)
def operator_credential_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A started mesh writes operator:local's token; in tests, never to the real home."""
    monkeypatch.setenv("ECO2_OPERATOR_TOKEN_FILE", str(tmp_path / "operator-token"))
