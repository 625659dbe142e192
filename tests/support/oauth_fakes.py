"""Local fakes of Google, Kakao and Naver speaking each provider's real OAuth wire format.

Each fake is a real HTTP server on 127.0.0.1 (uvicorn in-process), so the auth functions'
httpx clients run their real code path. Like the real providers, a fake checks the client id
and secret, the registered redirect URI, that a code is used once, and PKCE (S256 of the
verifier must equal the challenge given at authorize time; Google and Kakao) or `state`
(Naver). Failures are simulated by flags. The consent screen is skipped: `GET authorize`
answers at once with the 302 back to the redirect URI, as after the user's "allow".
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from functions.auth.model import pkce_challenge
from tests.support.loopback import serve

CLIENT_SECRET = "fake-secret"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class FakeUser:
    id: str
    email: str | None
    nickname: str | None
    mobile: str | None = None


@dataclass
class _Grant:
    user: FakeUser
    redirect_uri: str
    state: str
    challenge: str | None
    used: bool = False


@dataclass
class FakeProvider:
    """Shared behaviour; subclasses fix the paths and the JSON shapes."""

    name: str = ""
    pkce: bool = True
    client_id: str = ""
    user: FakeUser = field(default_factory=lambda: FakeUser("1", None, None))
    redirect_uris: set[str] = field(default_factory=set)
    deny_consent: bool = False  # the user presses "cancel"
    token_status: int | None = None  # answer the token endpoint with this error status
    profile_status: int | None = None  # answer the profile endpoint with this error status
    base_url: str = ""
    token_requests: list[dict[str, str]] = field(default_factory=list)
    _grants: dict[str, _Grant] = field(default_factory=dict)
    _tokens: dict[str, FakeUser] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client_id = self.client_id or f"{self.name}-client"

    # --- the provider's endpoints, in its wire format --------------------------------
    def authorize(self, request: Request) -> Response:
        q = request.query_params
        redirect_uri = q.get("redirect_uri", "")
        if q.get("client_id") != self.client_id or redirect_uri not in self.redirect_uris:
            return JSONResponse({"error": "invalid_request"}, 400)  # never redirects then
        if q.get("response_type") != "code" or not q.get("state"):
            return JSONResponse({"error": "invalid_request"}, 400)
        challenge = q.get("code_challenge")
        if self.pkce and (not challenge or q.get("code_challenge_method") != "S256"):
            return JSONResponse({"error": "invalid_request", "error_description": "PKCE"}, 400)
        if self.deny_consent:
            back = {"error": "access_denied", "state": q["state"]}
            return RedirectResponse(f"{redirect_uri}?{urlencode(back)}", 302)
        code = secrets.token_urlsafe(16)
        self._grants[code] = _Grant(self.user, redirect_uri, q["state"], challenge)
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': q['state']})}")

    def redeem(self, form: dict[str, str]) -> FakeUser | str:
        """The user a token request may have, or the OAuth error code refusing it."""
        self.token_requests.append(form)
        if form.get("client_id") != self.client_id or form.get("grant_type") != (
            "authorization_code"
        ):
            return "invalid_client"
        if self.name != "kakao" and form.get("client_secret") != CLIENT_SECRET:
            return "invalid_client"
        grant = self._grants.get(form.get("code", ""))
        if grant is None or grant.used:
            return "invalid_grant"
        grant.used = True  # one use, even when the rest of the request is wrong
        return self._bound(grant, form) or grant.user

    def _bound(self, grant: _Grant, form: dict[str, str]) -> str | None:
        """Is the request bound to the authorization? PKCE, or Naver's state; redirect URI."""
        if self.pkce and pkce_challenge(form.get("code_verifier", "")) != grant.challenge:
            return "invalid_grant"  # PKCE verification failed
        if not self.pkce and form.get("state") != grant.state:
            return "invalid_request"
        if self.name != "naver" and form.get("redirect_uri") != grant.redirect_uri:
            return "redirect_uri_mismatch"
        return None

    def token_response(self, form: dict[str, str]) -> Response:
        if self.token_status is not None:
            return JSONResponse({"error": "server_error"}, self.token_status)
        found = self.redeem(form)
        if isinstance(found, str):
            return JSONResponse({"error": found, "error_description": found}, 400)
        token = secrets.token_urlsafe(24)
        self._tokens[token] = found
        return JSONResponse(self.token_body(token))

    def token_body(self, token: str) -> dict[str, Any]:
        return {"access_token": token, "token_type": "Bearer", "expires_in": 3599}

    def profile(self, authorization: str | None) -> Response:
        if self.profile_status is not None:
            return JSONResponse({"error": "backend_error"}, self.profile_status)
        user = self._tokens.get((authorization or "").removeprefix("Bearer "))
        if user is None:
            return JSONResponse({"error": "invalid_token"}, 401)
        return JSONResponse(self.profile_body(user))

    def profile_body(self, user: FakeUser) -> dict[str, Any]:
        raise NotImplementedError

    def app(self) -> FastAPI:
        raise NotImplementedError

    def settings(self) -> dict[str, str]:
        """Settings overrides pointing the auth functions at this fake."""
        raise NotImplementedError


def _form_app(fake: FakeProvider, authorize: str, token: str, profile: str) -> FastAPI:
    app = FastAPI()

    @app.get(authorize)
    async def _authorize(request: Request) -> Response:
        return fake.authorize(request)

    @app.post(token)
    async def _token(request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith(FORM):
            return JSONResponse({"error": "invalid_request"}, 400)
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        return fake.token_response(form)

    @app.get(profile)
    async def _profile(authorization: str | None = Header(default=None)) -> Response:
        return fake.profile(authorization)

    return app


class GoogleFake(FakeProvider):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="google", pkce=True, **kwargs)

    def token_body(self, token: str) -> dict[str, Any]:
        return {**super().token_body(token), "id_token": "x.y.z", "scope": "openid email profile"}

    def profile_body(self, user: FakeUser) -> dict[str, Any]:
        return {"sub": user.id, "email": user.email, "email_verified": True, "name": user.nickname}

    def app(self) -> FastAPI:
        return _form_app(self, "/o/oauth2/v2/auth", "/token", "/v1/userinfo")

    def settings(self) -> dict[str, str]:
        return {
            "google_client_id": self.client_id,
            "google_client_secret": CLIENT_SECRET,
            "google_accounts_base": self.base_url,
            "google_token_base": self.base_url,
            "google_userinfo_base": self.base_url,
        }


class KakaoFake(FakeProvider):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="kakao", pkce=True, **kwargs)

    def token_body(self, token: str) -> dict[str, Any]:
        return {**super().token_body(token), "refresh_token": "r", "refresh_token_expires_in": 1}

    def profile_body(self, user: FakeUser) -> dict[str, Any]:
        account: dict[str, Any] = {"profile": {"nickname": user.nickname}, "email": user.email}
        if user.mobile:
            account["phone_number"] = user.mobile
        return {
            "id": int(user.id),
            "connected_at": "2026-01-01T00:00:00Z",
            "kakao_account": account,
        }

    def app(self) -> FastAPI:
        return _form_app(self, "/oauth/authorize", "/oauth/token", "/v2/user/me")

    def settings(self) -> dict[str, str]:
        return {
            "kakao_client_id": self.client_id,
            "kakao_auth_base": self.base_url,
            "kakao_api_base": self.base_url,
        }


class NaverFake(FakeProvider):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="naver", pkce=False, **kwargs)

    def token_response(self, form: dict[str, str]) -> Response:
        response = super().token_response(form)
        if response.status_code == 400:  # Naver reports a refused code with HTTP 200
            response.status_code = 200
        return response

    def profile_body(self, user: FakeUser) -> dict[str, Any]:
        info = {"id": user.id, "email": user.email, "nickname": user.nickname}
        if user.mobile:
            info["mobile"] = user.mobile
        return {"resultcode": "00", "message": "success", "response": info}

    def app(self) -> FastAPI:
        return _form_app(self, "/oauth2.0/authorize", "/oauth2.0/token", "/v1/nid/me")

    def settings(self) -> dict[str, str]:
        return {
            "naver_client_id": self.client_id,
            "naver_client_secret": CLIENT_SECRET,
            "naver_auth_base": self.base_url,
            "naver_api_base": self.base_url,
        }


FAKES: dict[str, type[FakeProvider]] = {
    "google": GoogleFake,
    "kakao": KakaoFake,
    "naver": NaverFake,
}
USERS = {
    "google": FakeUser("109876543210987654321", "minji.kim@gmail.com", "김민지"),
    "kakao": FakeUser("3141592653", "eco@kakao.com", "에코지킴이", "+82 10-1234-5678"),
    "naver": FakeUser("AbCdEf123_naver", None, "분리수거왕", "010-9876-5432"),
}


@contextlib.asynccontextmanager
async def running_fake(provider: str, redirect_uris: set[str]) -> AsyncIterator[FakeProvider]:
    """A fake of `provider` on a loopback port, accepting the given redirect URIs."""
    fake = FAKES[provider](user=USERS[provider], redirect_uris=set(redirect_uris))
    async with serve(fake.app()) as url:
        fake.base_url = url
        yield fake
