"""The session cookies of docs/adr/0005: `s_access`, `s_refresh`; HttpOnly, Path=/, Lax."""

from __future__ import annotations

from starlette.responses import Response

from functions.auth.sessions import TokenPair
from functions.kit.settings import Settings

ACCESS_COOKIE = "s_access"
REFRESH_COOKIE = "s_refresh"


def set_session(response: Response, pair: TokenPair, settings: Settings) -> None:
    for name, token, ttl in (
        (ACCESS_COOKIE, pair.access, settings.access_ttl_s),
        (REFRESH_COOKIE, pair.refresh, settings.refresh_ttl_s),
    ):
        response.set_cookie(
            name,
            token,
            max_age=ttl,
            path="/",
            domain=settings.auth_cookie_domain,
            secure=settings.auth_cookie_secure,
            httponly=True,
            samesite="lax",
        )
    response.headers["Cache-Control"] = "no-store"


def clear_session(response: Response, settings: Settings) -> None:
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        response.delete_cookie(
            name,
            path="/",
            domain=settings.auth_cookie_domain,
            secure=settings.auth_cookie_secure,
            httponly=True,
            samesite="lax",
        )
    response.headers["Cache-Control"] = "no-store"
