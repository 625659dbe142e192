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
    grpc_port: int | None = None  # internal gRPC (CharacterService); None = not served

    # The edge: every public request is checked by the Go ext-authz (HTTP mode), as Envoy does.
    authz_url: str | None = None  # an authz already running; None with no binary = no edge
    authz_binary: str | None = None  # `eco2 run` starts this authz next to the mesh
    authz_http_port: int = 9001
    authz_grpc_port: int = 9000

    namespace: str = "eco2"
    broker: str = "default"
    amqp_url: str = "amqp://eco2:eco2@127.0.0.1:5672/"
    queue_type: Literal["classic", "quorum"] = "classic"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "eco2:"
    pg_dsn: str = "postgresql://eco2:eco2@127.0.0.1:5432/eco2"

    # Auth: tokens per docs/adr/0005, OAuth login per docs/adr/0007
    jwt_issuer: str = "eco2-auth"
    jwt_audience: str = "eco2-api"
    access_ttl_s: int = 900
    refresh_ttl_s: int = 1_209_600
    jwt_private_key: str | None = None  # PEM, P-256; unset: generated at start (embedded)
    jwt_previous_keys: list[str] = []  # PEMs that still verify live tokens (kept in the JWKS)
    auth_cookie_secure: bool = False
    auth_cookie_domain: str | None = None
    auth_refresh_grace_s: float = 30.0
    auth_state_ttl_s: int = 600
    auth_dev_provider: bool | None = None  # None: on in embedded mode, off in real mode
    auth_dev_user: str = "dev"
    auth_public_base_url: str | None = None  # where providers send users back; None: own port
    auth_revocation_keepalive_s: float = 10.0
    frontend_origins: str = "http://localhost:5173,http://127.0.0.1:5173"  # first = default
    oauth_timeout_s: float = 10.0
    google_client_id: str = ""
    google_client_secret: str = ""
    google_accounts_base: str = "https://accounts.google.com"
    google_token_base: str = "https://oauth2.googleapis.com"
    google_userinfo_base: str = "https://openidconnect.googleapis.com"
    kakao_client_id: str = ""
    kakao_client_secret: str = ""
    kakao_auth_base: str = "https://kauth.kakao.com"
    kakao_api_base: str = "https://kapi.kakao.com"
    naver_client_id: str = ""
    naver_client_secret: str = ""
    naver_auth_base: str = "https://nid.naver.com"
    naver_api_base: str = "https://openapi.naver.com"

    # Hosted (one function per process, as a Knative Service)
    function: str | None = None
    broker_ingress_url: str | None = None  # where a hosted function sends extra replies

    # Event bus: per-job progress/token streams for SSE (docs/adr/0006-event-streams.md)
    bus_shards: int = 4
    bus_history_maxlen: int = 2_000  # events kept per job for replay
    bus_shard_maxlen: int = 100_000  # entries kept per shard stream for the router
    bus_ttl_s: int = 3_600  # every per-job key, refreshed on each publish
    bus_terminal_ttl_s: int = 600  # once the job is done
    # Event router (a consumer of the shard streams; its own process when deployed)
    router_consumer: str | None = None  # default: HOSTNAME-pid (the pod name)
    router_batch: int = 256
    router_claim_min_idle_ms: int = 10_000  # pending this long: its router is presumed dead

    drain_timeout_s: float = 10.0
    log_level: str = "INFO"

    @property
    def ingress_path(self) -> str:
        return f"/ingress/{self.namespace}/{self.broker}"

    @property
    def edge_url(self) -> str | None:
        """Where the mesh's edge asks for decisions, if it has an edge at all."""
        if self.authz_url:
            return self.authz_url
        return f"http://127.0.0.1:{self.authz_http_port}" if self.authz_binary else None

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """The PWA origins (`ECO2_FRONTEND_ORIGINS`, comma-separated); the first is the default."""
        return tuple(o.strip().rstrip("/") for o in self.frontend_origins.split(",") if o.strip())

    @property
    def dev_login_enabled(self) -> bool:
        if self.auth_dev_provider is None:
            return self.mode == "embedded"
        return self.auth_dev_provider
