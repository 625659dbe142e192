"""Settings for every deployable, read from `ECO2_*` environment variables by pydantic-settings.

This is the only place configuration is read; the composition root builds adapters from it.
Defaults are the embedded mode: no servers, no API keys.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECO2_", extra="ignore")

    mode: Literal["embedded", "real"] = "embedded"
    host: str = "127.0.0.1"
    port: int = 8080  # the public listener: the PWA's API behind the edge
    # The internal listener: broker ingress, dead-letter sink, revocation feed, operator calls.
    # Never exposed through the edge (deployed: cluster-local Services).
    internal_port: int = 8081
    grpc_port: int | None = None  # internal gRPC (CharacterService); None = not served

    # The edge: every public request is checked by the Go ext-authz, as Envoy does
    # (functions/kit/authz_check.py). An authz already running: by gRPC address (Envoy's
    # ext_authz Check) or by its HTTP mode's URL; none of them and no binary = no edge.
    authz_grpc_addr: str | None = None  # host:port
    authz_url: str | None = None
    # The gRPC authz's readiness (its HTTP mode's /readyz); None: a Check of /ready instead
    authz_ready_url: str | None = None
    authz_binary: str | None = None  # `eco2 run` starts this authz next to the mesh
    authz_http_port: int = 9001
    authz_grpc_port: int = 9000

    namespace: str = "eco2"
    broker: str = "default"
    amqp_url: str = "amqp://eco2:eco2@127.0.0.1:5672/"
    queue_type: Literal["classic", "quorum"] = "classic"
    # How long a publish may wait for RabbitMQ's confirm (riding out a reconnect or a busy
    # moment) before the caller is told the broker is unavailable.
    publish_timeout_s: float = 30.0
    pg_pool_max: int = 20  # PostgreSQL connections per process
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "eco2:"
    # Redis Cluster (docs/adr/0020): `redis_url` names any node; every key is hash-tagged
    redis_cluster: bool = False
    pg_dsn: str = "postgresql://eco2:eco2@127.0.0.1:5432/eco2?sslmode=disable"  # loopback

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
    auth_login_rate_per_min: int = 20  # login starts per client address; 429 past it
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
    domain: str | None = None  # the function's domain: only its modules are loaded
    broker_ingress_url: str | None = None  # where a hosted function sends extra replies

    # Event bus: per-job progress/token streams for SSE (docs/adr/0006-event-streams.md)
    bus_shards: int = 4
    bus_history_maxlen: int = 2_000  # events kept per job for replay
    bus_shard_maxlen: int = 100_000  # entries kept per shard stream for the router
    bus_ttl_s: int = 3_600  # every per-job key, refreshed on each publish
    bus_terminal_ttl_s: int = 600  # once the job is done
    # Event router (a consumer of the shard streams; its own process when deployed)
    router_consumer: str | None = None  # default: HOSTNAME-pid (the pod name)
    # The pod's name in Kubernetes: HOSTNAME as the kubelet sets it (no ECO2_ prefix).
    hostname: str | None = Field(default=None, validation_alias="HOSTNAME")
    # The SSE gateway (docs/adr/0008-sse-gateway.md): keepalive at most 30 s (contract)
    sse_keepalive_s: float = 15.0
    sse_history_poll_s: float = 60.0  # an idle stream re-reads its history this often
    sse_queue_size: int = 256  # live events buffered per client before a resync from history
    sse_page_size: int = 500  # events per history read while catching up
    sse_idle_timeout_s: float = 600.0  # a job silent this long ends its stream (error timeout)
    sse_drain_grace_s: float = 5.0  # how long draining streams get to say goodbye
    sse_max_concurrent_reads: int = 64  # bus reads in flight (bounds Redis connections)
    router_batch: int = 256
    router_claim_min_idle_ms: int = 10_000  # pending this long: its router is presumed dead

    # Images (docs/adr/0009): presigned uploads; S3 + CloudFront whenever a bucket is set (or
    # the backend says s3), else the mesh's own object store under `media_dir` (a temp dir when
    # unset). Several processes sharing that store need the same signing key and media_dir.
    images_backend: Literal["auto", "local", "s3"] = "auto"  # auto: s3 iff s3_bucket is set
    images_max_bytes: int = 10 * 1024 * 1024
    images_url_ttl_s: int = 900
    images_signing_key: str | None = None  # HMAC key of the local store; None: random per run
    media_dir: str | None = None
    public_base_url: str | None = None  # how browsers reach this mesh; None: http://host:port
    s3_bucket: str | None = None
    s3_region: str = "ap-northeast-2"
    s3_endpoint_url: str | None = None  # an S3-protocol server other than AWS (tests: moto)
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    cdn_base_url: str | None = None  # the CloudFront domain serving the bucket

    # LLMs (docs/adr/0010): the provider is inferred from the model name
    llm_default_model: str = "offline"  # real mode: e.g. gpt-5-mini or gemini-2.5-flash
    llm_allowed_models: str = "offline,gpt-5-mini,gpt-4.1-mini,gemini-2.5-flash"  # comma list
    llm_timeout_s: float = 30.0
    llm_retries: int = 2  # extra attempts per provider for retryable errors (429, 5xx, timeout)
    llm_breaker_failures: int = 5  # consecutive failures that open a provider's circuit
    llm_breaker_open_s: float = 60.0
    llm_fallback: bool = True  # try the other provider when one fails or its circuit is open
    llm_offline_latency_s: float = 0.0  # the offline provider's simulated latency (load tests)
    llm_offline_answer_latency_s: float | None = None  # answer-stage latency; None: as above
    llm_offline_token_latency_s: float = 0.0  # between the offline provider's streamed tokens
    openai_api_key: str | None = None
    openai_base_url: str | None = None  # any OpenAI-compatible endpoint (self-hosted models)
    openai_fallback_model: str = "gpt-5-mini"
    gemini_api_key: str | None = None
    gemini_base_url: str | None = None  # tests point this at a local wire fake
    gemini_fallback_model: str = "gemini-2.5-flash"

    # Places and Korean public data (docs/adr/0013): every key optional; without one the
    # offline adapter answers (search then uses our own sites table)
    kakao_rest_api_key: str | None = None  # Kakao Local (KakaoAK)
    kakao_local_base: str = "https://dapi.kakao.com"
    data_go_kr_key: str | None = None  # data.go.kr serviceKey: KMA weather and MOIS waste rules
    kma_base: str = "https://apis.data.go.kr/1360000/VilageFcstInfoService_2.0"
    mois_base: str = "https://apis.data.go.kr/1741000"
    public_data_timeout_s: float = 3.0
    public_data_retries: int = 2  # extra attempts for timeouts, 429, 5xx, temporary codes
    public_data_breaker_failures: int = 5
    public_data_breaker_open_s: float = 60.0
    kakao_cache_ttl_s: float = 600.0
    kma_cache_ttl_s: float = 600.0
    mois_cache_ttl_s: float = 86_400.0

    # Scan
    scan_idempotency_ttl_s: int = 3_600  # X-Idempotency-Key returns the same job this long

    # Chat (docs/adr/0015): the models offered to users (domain.md), the message length cap,
    # how long an unfinished run blocks the next message, where the graph's checkpoints live
    chat_models: str = (
        "gpt-5.2,gpt-5.2-pro,gpt-5-mini,gemini-3-flash-preview,gemini-3-pro-preview,"
        "gemini-2.5-flash"
    )
    chat_message_max_chars: int = 4_000
    chat_run_timeout_s: float = 300.0
    # auto: memory embedded, redis (a Redis hot layer over PostgreSQL) in real mode
    chat_checkpoints: Literal["auto", "memory", "postgres", "redis"] = "auto"
    chat_checkpoint_hot_ttl_s: int = 3_600  # a conversation's hot entry outlives its use this long
    chat_checkpoint_pool_max: int = 10  # the saver's own psycopg connections per process
    chat_checkpoint_ttl_s: int = 30 * 24 * 3_600  # idle (or deleted) conversations forget
    chat_image_model: str = "gemini-2.5-flash-image"  # image_generation, where Gemini is set
    # An answer's token deltas are coalesced into one `token` event per this window (0: one
    # event per delta); the first goes out at once (functions/chat/nodes/batching.py)
    chat_token_window_ms: int = Field(default=50, ge=0, le=1_000)
    # The character sub-agent asks CharacterService over gRPC at this host:port (deployed);
    # unset: the character domain's use cases in process (embedded, the one-process mesh)
    character_grpc_addr: str | None = None
    character_grpc_timeout_s: float = 2.0  # the deadline of each call

    # Scheduled functions tick locally every `minutes` of their Schedule; this overrides it.
    ticker_interval_s: float | None = None
    scan_sweep_after_s: int = 120  # a queued scan job this old gets its request re-published

    # Info news feed (docs/adr/0014-info-news.md): PostgreSQL + a Redis page cache in real
    # mode; a source is on when its key (or feed list) is set; none set: the shipped sample.
    info_cache_ttl_s: int = 60  # a page's cached copy; 0: every read from PostgreSQL
    info_naver_client_id: str = ""  # the Search API application's (not the login's)
    info_naver_client_secret: str = ""
    info_naver_base_url: str = "https://openapi.naver.com"
    info_naver_queries: str = (
        "environment:분리배출,environment:기후변화,energy:재생에너지,ai:인공지능 환경"
    )
    info_naver_daily_quota: int = 2_000  # the API allows 25,000 calls a day
    info_newsdata_api_key: str = ""
    info_newsdata_base_url: str = "https://newsdata.io"
    info_newsdata_queries: str = "environment:환경,energy:에너지"
    info_newsdata_daily_quota: int = 180  # the free plan: 200 credits a day
    info_rss_feeds: str = ""  # comma list of `[category@]url`
    info_rss_daily_quota: int = 5_000
    info_rate_per_min: int = 30  # requests per source per minute
    info_fetch_timeout_s: float = 10.0
    info_og_timeout_s: float = 3.0
    info_og_max_bytes: int = 512 * 1024

    # Operator calls (`eco2 dead-letters --url`, `eco2 canary`): a token with the operator role
    # (docs/runbooks/authz.md); else the credential file (None: ~/.local/state/eco2/operator-token)
    operator_token: str | None = None
    operator_token_file: str | None = None

    # The role of one `eco2 run --workers K` process (worker.py), handed over by `eco2 run`.
    mesh_serve: str = "all"
    mesh_functions: str | None = None
    mesh_router: bool | None = None

    drain_timeout_s: float = 10.0
    # Every request body is bounded (functions/kit/guard.py); uploads keep images_max_bytes.
    max_body_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    log_format: Literal["auto", "text", "json"] = "auto"  # auto: JSON in real mode

    # Observability (docs/adr/0019-observability.md): spans exported by `otel_exporter`
    # (none = tracing off, no SDK loaded); otlp posts OTLP/HTTP to `otel_endpoint` (unset: the
    # standard OTEL_EXPORTER_OTLP_* variables); file appends JSON lines to `otel_file`.
    otel_exporter: Literal["none", "console", "file", "otlp"] = "none"
    otel_endpoint: str | None = None  # e.g. http://otel-collector:4318/v1/traces
    otel_file: str | None = None  # default ./eco2-spans.jsonl
    otel_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)  # of new traces
    otel_service_name: str | None = None  # default: the function's name, else eco2-mesh

    # Online grading of production answers (docs/eval.md, ADR 0022): the share of scan and
    # chat answers graded, and how many a UTC day may grade at most (each is 5 judge calls).
    eval_sample_rate: float = Field(default=0.05, ge=0.0, le=1.0)
    eval_daily_budget: int = Field(default=200, ge=0)
    eval_judge_model: str | None = None  # None: the LLM client's default model

    @property
    def ingress_path(self) -> str:
        return f"/ingress/{self.namespace}/{self.broker}"

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """The PWA origins (`ECO2_FRONTEND_ORIGINS`, comma-separated); the first is the default."""
        return tuple(o.strip().rstrip("/") for o in self.frontend_origins.split(",") if o.strip())

    @property
    def dev_login_enabled(self) -> bool:
        if self.auth_dev_provider is None:
            return self.mode == "embedded"
        return self.auth_dev_provider

    @property
    def allowed_models(self) -> tuple[str, ...]:
        """The models a request may ask for (`ECO2_LLM_ALLOWED_MODELS`); the default is added."""
        models = [m.strip() for m in self.llm_allowed_models.split(",") if m.strip()]
        if self.llm_default_model not in models:
            models.append(self.llm_default_model)
        return tuple(models)

    @property
    def offered_chat_models(self) -> tuple[str, ...]:
        """The models a chat message may name (`ECO2_CHAT_MODELS`, comma-separated)."""
        return tuple(m.strip() for m in self.chat_models.split(",") if m.strip())

    @property
    def public_url(self) -> str:
        """The mesh's base URL as browsers see it (signed upload URLs and cdn_url point here)."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")
