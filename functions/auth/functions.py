"""The auth domain's declarations (handlers and adapters are imported lazily)."""

from __future__ import annotations

from functions.auth import wiring
from functions.kit.container import Provider
from functions.kit.declare import Exposure, Function, Kind, Scaling

AUTH_PREFIX = "/api/v1/auth"
REVOCATIONS_PREFIX = "/internal/auth/revocations"

FUNCTIONS = (
    Function(
        name="auth-api",
        domain="auth",
        kind=Kind.HTTP,
        handler="functions.auth.api:router",
        route_prefix=AUTH_PREFIX,
        # one warm replica: the ext-authz fetches the JWKS from here
        scaling=Scaling(min_scale=1, max_scale=5, target_concurrency=50, container_concurrency=100),
        description="OAuth login (Google, Kakao, Naver, dev), refresh rotation, logout, JWKS.",
    ),
    Function(
        name="auth-revocations",
        domain="auth",
        kind=Kind.HTTP,
        handler="functions.auth.revocations_api:router",
        route_prefix=REVOCATIONS_PREFIX,
        exposure=Exposure.INTERNAL,  # the ext-authz's feed: which sessions are revoked
        scaling=Scaling(min_scale=0, max_scale=2, target_concurrency=50, container_concurrency=100),
        description="Revocation snapshot and SSE stream for the ext-authz when it has no Redis.",
    ),
)

# A login finds or creates the user: the users domain's repository (and its migrations)
# comes along, its functions do not.
REQUIRES = ("functions.users.functions",)

PROVIDERS: dict[str, Provider] = {
    "auth_keyring": wiring.auth_keyring,
    "auth_state_store": wiring.auth_state_store,
    "auth_session_store": wiring.auth_session_store,
    "auth_revocation_store": wiring.auth_revocation_store,
    "auth_oauth_clients": wiring.auth_oauth_clients,
}
