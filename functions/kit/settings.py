"""Settings for every deployable, read from `ECO2_*` environment variables by pydantic-settings.

This is the only place configuration is read; the composition root builds adapters from it.
Defaults are the embedded mode: no servers, no API keys.
"""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECO2_", extra="ignore")

    mode: Literal["embedded", "real"] = "embedded"
    host: str = "127.0.0.1"
    port: int = 8080

    namespace: str = "eco2"
    broker: str = "default"
    amqp_url: str = "amqp://eco2:eco2@127.0.0.1:5672/"
    queue_type: Literal["classic", "quorum"] = "classic"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "eco2:"
    pg_dsn: str = "postgresql://eco2:eco2@127.0.0.1:5432/eco2"

    # Hosted (one function per process, as a Knative Service)
    function: str | None = None
    broker_ingress_url: str | None = None  # where a hosted function sends extra replies

    drain_timeout_s: float = 10.0
    log_level: str = "INFO"

    @property
    def ingress_path(self) -> str:
        return f"/ingress/{self.namespace}/{self.broker}"
