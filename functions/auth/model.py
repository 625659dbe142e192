"""The auth domain model: login state, token claims, session families, revocations.

Pure data and rules; no I/O. The token and revocation shapes are docs/adr/0005's.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from functions.kit.errors import (
    BadRequestError,
    Eco2Error,
    NotFoundError,
    UnauthenticatedError,
    UnavailableError,
)

LOGIN_PROVIDERS = ("google", "kakao", "naver", "dev")
ACCESS = "access"
REFRESH = "refresh"
AUTH_PREFIX = "/api/v1/auth"


class AuthError(Eco2Error):
    """Base of the auth package's errors."""


class LoginRequestError(AuthError, BadRequestError):
    """A login that may not start: e.g. an origin or redirect target not allow-listed."""


class UnknownProviderError(AuthError, NotFoundError):
    pass


class ProviderNotConfiguredError(AuthError, UnavailableError):
    pass


class ProviderError(AuthError):
    """The provider refused the code, failed, or answered something we cannot read."""


class SessionRejectedError(AuthError, UnauthenticatedError):
    """No session can be issued from what was presented; `code` says why (ADR 0005 names)."""

    def __init__(self, detail: str, code: str = "TOKEN_INVALID") -> None:
        super().__init__(detail)
        self.code = code


class AuthStoreUnavailableError(AuthError, UnavailableError):
    """A store (state, sessions, revocations) could not be reached."""


@dataclass(frozen=True, slots=True)
class LoginState:
    """What a login's `state` stands for until the provider sends the user back (single use)."""

    state: str
    provider: str
    frontend_origin: str
    redirect_uri: str  # the callback URL given to the provider (sent again at the exchange)
    code_verifier: str | None  # PKCE (S256) where the provider supports it
    dev_user: str | None
    expires_at: float

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> LoginState:
        return cls(**json.loads(raw))


@dataclass(frozen=True, slots=True)
class Claims:
    sub: str
    jti: str
    sid: str
    type: str  # "access" | "refresh"
    provider: str
    iat: int
    nbf: int
    exp: int


@dataclass(frozen=True, slots=True)
class Successor:
    """The tokens a rotation created, kept so a replay inside the grace window gets them
    again (re-signed with the same claims; no token text is stored)."""

    access_jti: str
    refresh_jti: str
    iat: int
    access_exp: int
    refresh_exp: int

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Successor:
        return cls(**json.loads(raw))


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    """A live refresh token of a session family (`sid`)."""

    jti: str
    sid: str
    user_id: str
    provider: str
    exp: int


class Outcome(enum.Enum):
    ROTATED = "rotated"  # first use: the successor was created now
    REPLAYED = "replayed"  # second use inside the grace window: the same successor
    REUSED = "reused"  # use after the grace window: the family is now revoked
    REVOKED = "revoked"  # the family was revoked before
    UNKNOWN = "unknown"  # no such live token


@dataclass(frozen=True, slots=True)
class Rotation:
    outcome: Outcome
    successor: Successor | None = None
    family_exp: int | None = None
    user_id: str | None = None
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class Revocation:
    kind: Literal["jti", "sid"]
    value: str
    exp: int  # epoch second after which the entry may be forgotten

    @property
    def member(self) -> str:
        return f"{self.kind}:{self.value}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "exp": self.exp}

    @classmethod
    def from_member(cls, member: str, exp: float) -> Revocation:
        kind, _, value = member.partition(":")
        if kind not in ("jti", "sid"):
            raise ValueError(f"not a revocation member: {member!r}")
        return cls(kind, value, int(exp))  # type: ignore[arg-type]


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def callback_path(provider: str) -> str:
    return f"{AUTH_PREFIX}/{provider}/callback"


def home_url(origin: str) -> str:
    return f"{origin}/#/home"


def failure_url(origin: str) -> str:
    return f"{origin}/#/login?error=oauth_failed"


def _origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute http(s) URL without credentials, else None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origin(origin: str, allowed: tuple[str, ...]) -> str:
    """The allow-listed origin the header names; anything else is refused (no open redirect)."""
    parts = urlsplit(origin.strip())
    found = _origin_of(origin.strip())
    extra = parts.path not in ("", "/") or parts.query or parts.fragment
    listed = {a.lower(): a for a in allowed}
    if found is None or extra or found not in listed:
        raise LoginRequestError("frontend origin is not allowed")
    return listed[found]


def allowed_redirect_uri(uri: str, provider: str, allowed: tuple[str, ...], default: str) -> str:
    """Our own callback: the configured one, or the callback path under an allowed PWA origin
    (a dev server proxying /api). Anything else is refused."""
    parts = urlsplit(uri)
    origin = _origin_of(uri)
    if origin is None or parts.query or parts.fragment or parts.path != callback_path(provider):
        raise LoginRequestError("redirect_uri is not allowed")
    if uri != default and origin not in {a.lower() for a in allowed}:
        raise LoginRequestError("redirect_uri is not allowed")
    return uri
