"""The OAuth 2.0 authorization-code login: start (state + PKCE) and complete (callback).

`state` is random, single use and lives 10 minutes; it holds the PWA origin to send the user
back to, the callback URL given to the provider and the PKCE verifier. Starting refuses any
origin or redirect target that is not allow-listed (400, never a redirect there). Completing
never raises: any failure sends the user to the login page with `oauth_failed`.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions.auth import model
from functions.auth.model import LoginRequestError, LoginState
from functions.auth.ports import OAuthClient, StateStore
from functions.auth.sessions import Sessions, TokenPair
from functions.kit.publisher import Publisher
from functions.kit.settings import Settings
from functions.users import services as users
from functions.users.ports import UserRepository

log = logging.getLogger(__name__)
DEV_USER = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class LoginRateLimitedError(model.AuthError):
    """Too many login starts from one client address: 429, and when to come back."""

    code = "RATE_LIMITED"
    status = 429

    def __init__(self, detail: str, retry_after_s: float) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Completed:
    redirect_to: str
    session: TokenPair | None  # None: the login failed


class Logins:
    def __init__(
        self,
        *,
        settings: Settings,
        states: StateStore,
        clients: Mapping[str, OAuthClient],
        sessions: Sessions,
        users_repository: UserRepository,
        publisher: Publisher,
    ) -> None:
        self._settings = settings
        self._states = states
        self._clients = clients
        self._sessions = sessions
        self._users = users_repository
        self._publisher = publisher

    def _client(self, provider: str) -> OAuthClient:
        client = self._clients.get(provider)
        if client is not None:
            return client
        if provider in model.LOGIN_PROVIDERS and provider != "dev":
            raise model.ProviderNotConfiguredError(f"{provider} login is not configured")
        raise model.UnknownProviderError(f"no login provider {provider!r}")

    def _public_base(self) -> str:
        """Where the provider sends the browser back: the edge's URL when configured, else
        this process's own address (the local mesh)."""
        settings = self._settings
        if settings.auth_public_base_url:
            return settings.auth_public_base_url.rstrip("/")
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        return f"http://{host}:{settings.port}"

    async def start(
        self,
        provider: str,
        frontend_origin: str | None,
        redirect_uri: str | None,
        dev_user: str | None = None,
        address: str = "unknown",
    ) -> dict[str, Any]:
        """`address` is the caller's (rate-limited per address; see `_admit`)."""
        client = self._client(provider)
        allowed = self._settings.allowed_origins
        origin = model.allowed_origin(frontend_origin, allowed) if frontend_origin else allowed[0]
        default = self._public_base() + model.callback_path(provider)
        callback = model.allowed_redirect_uri(redirect_uri or default, provider, allowed, default)
        if dev_user is not None and not DEV_USER.match(dev_user):
            raise LoginRequestError("dev_user must match [a-z0-9][a-z0-9_-]{0,31}")
        verifier = secrets.token_urlsafe(64) if client.uses_pkce else None
        login = LoginState(
            state=secrets.token_urlsafe(32),
            provider=provider,
            frontend_origin=origin,
            redirect_uri=callback,
            code_verifier=verifier,
            dev_user=dev_user,
            expires_at=time.time() + self._settings.auth_state_ttl_s,
        )
        await self._admit(address)
        await self._states.put(login)
        challenge = model.pkce_challenge(verifier) if verifier else None
        return {
            "provider": provider,
            "state": login.state,
            "authorization_url": client.authorization_url(login, challenge),
            "expires_at": datetime.fromtimestamp(login.expires_at, UTC).isoformat(),
        }

    async def _admit(self, address: str) -> None:
        """Only a start that would store a state counts: a refused one costs nothing."""
        limit = self._settings.auth_login_rate_per_min
        wait_s = await self._states.admit(address, limit, 60)
        if wait_s > 0:
            raise LoginRateLimitedError(
                f"too many login starts from this address (at most {limit} a minute)", wait_s
            )

    async def complete(
        self, provider: str, code: str | None, state: str | None, error: str | None
    ) -> Completed:
        origin = self._settings.allowed_origins[0]  # when the state names none
        try:
            login = await self._states.take(state) if state else None
            if login is None:
                raise model.ProviderError("unknown, expired or already used state")
            origin = login.frontend_origin
            if login.provider != provider:
                raise model.ProviderError(f"state of {login.provider} used for {provider}")
            if error or not code:
                raise model.ProviderError(f"{provider} answered error={error!r}")
            profile = await self._client(provider).exchange(code, login)
            user = await users.sign_in(self._users, self._publisher, profile)
            session = await self._sessions.open(user.id, provider)
        except Exception as exc:  # any failure: back to the login page, never a 500 page
            log.warning(
                "%s login failed: %s", provider, exc, exc_info=log.isEnabledFor(logging.DEBUG)
            )
            return Completed(model.failure_url(origin), None)
        return Completed(model.home_url(origin), session)
