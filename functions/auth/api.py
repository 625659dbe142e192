"""`/api/v1/auth`: login start and callback, refresh, logout, and the JWKS.

All of it is public at the edge (ADR 0005's allow list): these routes read the session from
the cookies themselves, never from the edge-injected identity.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel

from functions.auth.cookies import ACCESS_COOKIE, REFRESH_COOKIE, clear_session, set_session
from functions.auth.keys import KeyRing
from functions.auth.logins import DEV_USER, LoginRateLimitedError, Logins
from functions.auth.model import LOGIN_PROVIDERS, SessionRejectedError
from functions.auth.ports import OAuthClient, RevocationStore, SessionStore, StateStore
from functions.auth.sessions import Sessions, TokenPair
from functions.auth.tokens import TokenService
from functions.kit.errors import error_body, http_status_and_code
from functions.kit.openapi import errors
from functions.kit.publisher import Publisher
from functions.kit.settings import Settings
from functions.kit.text import Text
from functions.users.ports import UserRepository

log = logging.getLogger(__name__)


class LoginStart(BaseModel):
    provider: str
    state: str
    authorization_url: str
    expires_at: datetime


class LoginStarted(BaseModel):
    success: Literal[True]
    data: LoginStart


class Refresh(BaseModel):
    message: str
    access_expires_at: datetime
    refresh_expires_at: datetime


class Refreshed(BaseModel):
    success: Literal[True]
    data: Refresh


class LogoutMessage(BaseModel):
    message: str


class LoggedOut(BaseModel):
    success: Literal[True]
    data: LogoutMessage


class Jwks(BaseModel):
    """The access tokens' public keys (RFC 7517), read by the authorizer."""

    keys: list[dict[str, Any]]


PROVIDER_DOC: dict[str, Any] = {"enum": list(LOGIN_PROVIDERS)}  # any other: 404
REDIRECT_URI = (
    "Where the provider sends the browser back: this provider's callback, the configured one "
    "or the same path under an allowed PWA origin (else 400)"
)
FRONTEND_ORIGIN = "The PWA's origin, one of the allowed ones (else 400); absent: the first"
REDIRECT: dict[int | str, dict[str, Any]] = {
    302: {
        "description": "To the PWA: `#/home` with the session cookies set, or "
        "`#/login?error=oauth_failed` on any failure",
        "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
    }
}


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _refreshed(pair: TokenPair, settings: Settings) -> JSONResponse:
    data = {
        "message": "session refreshed",
        "access_expires_at": _iso(pair.access_claims.exp),
        "refresh_expires_at": _iso(pair.refresh_claims.exp),
    }
    response = JSONResponse({"success": True, "data": data})
    set_session(response, pair, settings)
    return response


def client_address(request: Request) -> str:
    """The ASGI client address. Deployed, uvicorn runs with `--forwarded-allow-ips` set to
    the edge, so this is the edge's trusted forwarded address (X-Forwarded-For as Envoy set
    it), never a header the client could choose; locally it is the TCP peer."""
    return request.client.host if request.client else "unknown"


def rate_limited(exc: LoginRateLimitedError) -> JSONResponse:
    retry_after = str(max(1, math.ceil(exc.retry_after_s)))
    body = error_body(exc.detail, exc.code)
    return JSONResponse(body, status_code=429, headers={"Retry-After": retry_after})


def router(
    *,
    settings: Settings,
    auth_keyring: KeyRing,
    auth_state_store: StateStore,
    auth_session_store: SessionStore,
    auth_revocation_store: RevocationStore,
    auth_oauth_clients: Mapping[str, OAuthClient],
    users_repository: UserRepository,
    publisher: Publisher,
) -> APIRouter:
    tokens = TokenService(
        auth_keyring,
        settings.jwt_issuer,
        settings.jwt_audience,
        settings.access_ttl_s,
        settings.refresh_ttl_s,
    )
    sessions = Sessions(
        tokens=tokens,
        store=auth_session_store,
        revocations=auth_revocation_store,
        publisher=publisher,
        grace_s=settings.auth_refresh_grace_s,
    )
    logins = Logins(
        settings=settings,
        states=auth_state_store,
        clients=auth_oauth_clients,
        sessions=sessions,
        users_repository=users_repository,
        publisher=publisher,
    )
    api = APIRouter(tags=["auth"])

    @api.get("/.well-known/jwks.json", response_model=Jwks)
    async def jwks() -> JSONResponse:
        return JSONResponse(auth_keyring.jwks(), headers={"Cache-Control": "public, max-age=60"})

    @api.post("/refresh", response_model=Refreshed, responses=errors(401))
    async def refresh(request: Request) -> JSONResponse:
        try:
            pair = await sessions.refresh(request.cookies.get(REFRESH_COOKIE))
        except SessionRejectedError as exc:
            status, code = http_status_and_code(exc)
            response = JSONResponse(error_body(exc.detail, code), status)
            clear_session(response, settings)  # a dead session: let the PWA start over
            return response
        return _refreshed(pair, settings)

    @api.post("/logout", response_model=LoggedOut)
    async def logout(request: Request) -> JSONResponse:
        """Always 200 (the PWA would otherwise loop refresh → logout), cookies cleared."""
        try:
            revoked = await sessions.logout(
                request.cookies.get(ACCESS_COOKIE), request.cookies.get(REFRESH_COOKIE)
            )
        except Exception:
            log.exception("logout could not revoke the session; cookies cleared anyway")
            revoked = []
        message = "logged out" if revoked else "no active session"
        response = JSONResponse({"success": True, "data": {"message": message}})
        clear_session(response, settings)
        return response

    @api.api_route("/refresh", methods=["GET", "HEAD"], include_in_schema=False)
    @api.api_route("/logout", methods=["GET", "HEAD"], include_in_schema=False)
    async def post_only() -> JSONResponse:
        """A GET of these would otherwise reach `/{provider}` (a 404 for no provider)."""
        body = error_body("use POST", "METHOD_NOT_ALLOWED")
        return JSONResponse(body, status_code=405, headers={"Allow": "POST"})

    @api.get("/{provider}", response_model=LoginStarted, responses=errors(400, 404, 429))
    async def start(
        request: Request,
        provider: Annotated[Text, Path(max_length=32, json_schema_extra=PROVIDER_DOC)],
        redirect_uri: Annotated[
            Text | None, Query(max_length=2048, description=REDIRECT_URI)
        ] = None,
        dev_user: Annotated[str | None, Query(pattern=DEV_USER.pattern)] = None,  # no controls
        x_frontend_origin: Annotated[
            Text | None, Header(max_length=2048, description=FRONTEND_ORIGIN)
        ] = None,
    ) -> JSONResponse:
        try:
            data = await logins.start(
                provider, x_frontend_origin, redirect_uri, dev_user, client_address(request)
            )
        except LoginRateLimitedError as exc:
            return rate_limited(exc)
        return JSONResponse({"success": True, "data": data})

    @api.get(
        "/{provider}/callback",
        status_code=302,
        response_class=RedirectResponse,
        responses=REDIRECT,
    )
    async def callback(  # no length limits: any failure must still be the 302 to the PWA
        provider: Text,
        code: Text | None = None,
        state: Text | None = None,
        error: Text | None = None,
    ) -> RedirectResponse:
        done = await logins.complete(provider, code, state, error)
        response = RedirectResponse(done.redirect_to, status_code=302)
        response.headers["Cache-Control"] = "no-store"
        if done.session is not None:
            set_session(response, done.session, settings)
        return response

    return api
