"""The dev provider: a login that completes without the internet (development and tests).

Its authorization URL points straight back at our own callback with a code derived from the
login's PKCE challenge, so the code is bound to that login's `state` and verifier exactly as
a real provider would bind it. Anyone can log in as any dev user: it is enabled only by
`ECO2_AUTH_DEV_PROVIDER` (default: on in the embedded mode, off in the real one).
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from functions.auth.model import LoginState, ProviderError, pkce_challenge
from functions.users.model import SocialProfile

CODE_PREFIX = "dev."


class DevClient:
    uses_pkce = True

    def __init__(self, name: str, default_user: str) -> None:
        self.name = name  # "dev", or a real provider simulated because it is not configured
        self._default_user = default_user

    def authorization_url(self, login: LoginState, code_challenge: str | None) -> str:
        query = urlencode({"code": CODE_PREFIX + (code_challenge or ""), "state": login.state})
        return f"{login.redirect_uri}?{query}"

    async def exchange(self, code: str, login: LoginState) -> SocialProfile:
        expected = CODE_PREFIX + pkce_challenge(login.code_verifier or "")
        if not hmac.compare_digest(code.encode(), expected.encode()):
            raise ProviderError(f"{self.name}: the dev code does not match this login")
        user = login.dev_user or self._default_user
        subject = f"dev-{user}" if self.name == "dev" else f"dev-{self.name}-{user}"
        return SocialProfile(self.name, subject, email=f"{user}@dev.eco2.local", nickname=user)
