"""Settings for a whole mesh in a test (a pytest plugin): embedded, or real on this test's
RabbitMQ vhost, Redis prefix and PostgreSQL database, with the dev login on; and the whole
mesh started in-process in each mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from functions.kit.bootstrap import build_registry
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings
from tests.rig import RedisNamespace


@pytest.fixture
def embedded_settings() -> Settings:
    return Settings(mode="embedded")


@pytest.fixture
def real_settings(amqp_url: str, redis_url_and_prefix: RedisNamespace, pg_dsn: str) -> Settings:
    url, prefix = redis_url_and_prefix
    return Settings(mode="real", amqp_url=amqp_url, redis_url=url, redis_prefix=prefix,
                    pg_dsn=pg_dsn, auth_dev_provider=True)  # fmt: skip


@pytest.fixture(params=["embedded", pytest.param("real", marks=pytest.mark.integration)])
def either_settings(request: pytest.FixtureRequest) -> Settings:
    """Each mode in turn: a test using it runs embedded, then on the real servers."""
    found: Settings = request.getfixturevalue(f"{request.param}_settings")
    return found


@pytest.fixture
async def full_mesh(either_settings: Settings) -> AsyncIterator[Mesh]:
    """The whole mesh (every domain), started in-process, in each mode."""
    running = Mesh(either_settings, build_registry())
    await running.start()
    yield running
    await running.close()
