"""`/ready` with the real Go ext-authz behind the edge: 200 while it is up and ready, 503
once it is gone (the edge would then refuse every request)."""

from __future__ import annotations

import httpx
import pytest

from functions.kit.settings import Settings
from tests.e2e.conftest import RunningMesh


@pytest.fixture
def base_settings(embedded_settings: Settings) -> Settings:
    return embedded_settings  # readiness is the edge's; one mode is enough here


async def test_ready_follows_the_authorizer(running_mesh: RunningMesh) -> None:
    async with httpx.AsyncClient(base_url=running_mesh.url, timeout=10) as http:
        up = await http.get("/ready")
        assert up.status_code == 200, up.text
        assert up.json()["edge"] == "ready"
        assert running_mesh.mesh.authz is not None
        await running_mesh.mesh.authz.stop()
        down = await http.get("/ready")
    assert down.status_code == 503
    assert "unreachable" in down.json()["edge"]
