"""Google, Kakao and Naver over their real OAuth 2.0 wire formats (httpx).

Endpoint bases come from settings, so tests point them at local fakes speaking the same
format (tests/support/oauth_fakes.py). Every transport, status or format failure becomes a
`ProviderError`; the callback turns any of them into the login page's `oauth_failed`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx

from functions.auth.model import LoginState, ProviderError
from functions.kit.settings import Settings
from functions.users.model import SocialProfile


class _OAuth2Client:
    name = ""
    uses_pkce = False

    def __init__(self, http: httpx.AsyncClient, client_id: str, client_secret: str) -> None:
        self._http = http
        self._client_id = client_id
        self._client_secret = client_secret

    async def _token(self, url: str, form: dict[str, str]) -> str:
        """Redeem the code: a form POST answered with JSON holding `access_token`."""
        body = await self._json("POST", url, data=form)
        token = body.get("access_token")
        if "error" in body or not isinstance(token, str) or not token:  # Naver errors are 200s
            raise ProviderError(f"{self.name} refused the code: {body.get('error', 'no token')}")
        return token

    async def _profile(self, url: str, access_token: str) -> dict[str, Any]:
        return await self._json("GET", url, headers={"Authorization": f"Bearer {access_token}"})

    async def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, url, **kwargs)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderError(f"{self.name}: {type(exc).__name__} at {url}") from exc
        if response.status_code != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            raise ProviderError(f"{self.name}: HTTP {response.status_code} at {url} ({error})")
        return body


class GoogleClient(_OAuth2Client):
    name = "google"
    uses_pkce = True

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        super().__init__(http, settings.google_client_id, settings.google_client_secret)
        self._authorize = f"{settings.google_accounts_base}/o/oauth2/v2/auth"
        self._token_url = f"{settings.google_token_base}/token"
        self._userinfo = f"{settings.google_userinfo_base}/v1/userinfo"

    def authorization_url(self, login: LoginState, code_challenge: str | None) -> str:
        params = {
            "client_id": self._client_id,
            "redirect_uri": login.redirect_uri,
            "response_type": "code",
            "scope": "openid email profile",
            "state": login.state,
            "code_challenge": code_challenge or "",
            "code_challenge_method": "S256",
        }
        return f"{self._authorize}?{urlencode(params)}"

    async def exchange(self, code: str, login: LoginState) -> SocialProfile:
        token = await self._token(
            self._token_url,
            {
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "redirect_uri": login.redirect_uri,
                "code_verifier": login.code_verifier or "",
            },
        )
        info = await self._profile(self._userinfo, token)
        if not info.get("sub"):
            raise ProviderError("google: userinfo without sub")
        return SocialProfile(
            "google", str(info["sub"]), email=info.get("email"), nickname=info.get("name")
        )


class KakaoClient(_OAuth2Client):
    name = "kakao"
    uses_pkce = True

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        super().__init__(http, settings.kakao_client_id, settings.kakao_client_secret)
        self._auth_base = settings.kakao_auth_base
        self._me = f"{settings.kakao_api_base}/v2/user/me"

    def authorization_url(self, login: LoginState, code_challenge: str | None) -> str:
        params = {
            "client_id": self._client_id,
            "redirect_uri": login.redirect_uri,
            "response_type": "code",
            "state": login.state,
            "code_challenge": code_challenge or "",
            "code_challenge_method": "S256",
        }
        return f"{self._auth_base}/oauth/authorize?{urlencode(params)}"

    async def exchange(self, code: str, login: LoginState) -> SocialProfile:
        form = {
            "grant_type": "authorization_code",
            "client_id": self._client_id,
            "redirect_uri": login.redirect_uri,
            "code": code,
            "code_verifier": login.code_verifier or "",
        }
        if self._client_secret:  # optional in Kakao's console
            form["client_secret"] = self._client_secret
        info = await self._profile(
            self._me, await self._token(f"{self._auth_base}/oauth/token", form)
        )
        if info.get("id") in (None, ""):
            raise ProviderError("kakao: user/me without id")
        account = info.get("kakao_account") or {}
        profile = account.get("profile") or {}
        nickname = profile.get("nickname") or (info.get("properties") or {}).get("nickname")
        return SocialProfile(
            "kakao",
            str(info["id"]),
            email=account.get("email"),
            nickname=nickname,
            phone_number=account.get("phone_number"),
        )


class NaverClient(_OAuth2Client):
    name = "naver"
    uses_pkce = False  # Naver Login does not support PKCE; `state` is checked at the exchange

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        super().__init__(http, settings.naver_client_id, settings.naver_client_secret)
        self._auth_base = settings.naver_auth_base
        self._me = f"{settings.naver_api_base}/v1/nid/me"

    def authorization_url(self, login: LoginState, code_challenge: str | None) -> str:
        params = {
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": login.redirect_uri,
            "state": login.state,
        }
        return f"{self._auth_base}/oauth2.0/authorize?{urlencode(params)}"

    async def exchange(self, code: str, login: LoginState) -> SocialProfile:
        form = {
            "grant_type": "authorization_code",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "code": code,
            "state": login.state,
        }
        token = await self._token(f"{self._auth_base}/oauth2.0/token", form)
        body = await self._profile(self._me, token)
        info = body.get("response") or {}
        if body.get("resultcode") != "00" or not info.get("id"):
            raise ProviderError(f"naver: nid/me answered {body.get('resultcode')!r}")
        return SocialProfile(
            "naver",
            str(info["id"]),
            email=info.get("email"),
            nickname=info.get("nickname"),
            phone_number=info.get("mobile"),
        )
