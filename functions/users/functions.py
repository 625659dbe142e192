"""The users domain's declarations (handlers and adapters are imported lazily)."""

from __future__ import annotations

from functions.kit.container import Provider
from functions.kit.declare import Function, Kind, Scaling
from functions.users import wiring

USERS_PREFIX = "/api/v1/users"

FUNCTIONS = (
    Function(
        name="users-api",
        domain="users",
        kind=Kind.HTTP,
        handler="functions.users.api:router",
        route_prefix=USERS_PREFIX,
        scaling=Scaling(min_scale=0, max_scale=5, target_concurrency=50, container_concurrency=100),
        description="The caller's profile: GET and PATCH /api/v1/users/me.",
    ),
)

PROVIDERS: dict[str, Provider] = {"users_repository": wiring.users_repository}
