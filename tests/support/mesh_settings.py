"""Settings for a whole mesh in a test (a pytest plugin): embedded, or real on this test's
RabbitMQ vhost, Redis prefix and PostgreSQL database, with the dev login on."""

from __future__ import annotations

import pytest

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
