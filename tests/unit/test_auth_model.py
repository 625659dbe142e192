"""Pure rules of the login: allow-listed origins and redirect targets, PKCE."""

from __future__ import annotations

import pytest

from functions.auth.model import (
    LoginRequestError,
    allowed_origin,
    allowed_redirect_uri,
    pkce_challenge,
)

ALLOWED = ("http://localhost:5173", "https://eco2.example")
DEFAULT = "http://127.0.0.1:8080/api/v1/auth/google/callback"


def test_pkce_s256_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://localhost:5173", "http://localhost:5173"),
        ("http://localhost:5173/", "http://localhost:5173"),
        ("HTTPS://ECO2.example", "https://eco2.example"),
    ],
)
def test_listed_origins_are_accepted(given: str, expected: str) -> None:
    assert allowed_origin(given, ALLOWED) == expected


@pytest.mark.parametrize(
    "given",
    [
        "https://evil.example",
        "http://localhost:51730",
        "http://localhost:5173.evil.example",
        "http://localhost:5173@evil.example",
        "http://evil.example#@localhost:5173",
        "https://localhost:5173",  # another scheme is another origin
        "http://localhost:5173/#/home",
        "http://localhost:5173/path",
        "javascript:alert(1)",
        "//evil.example",
        "",
        "null",
    ],
)
def test_any_other_origin_is_refused(given: str) -> None:
    with pytest.raises(LoginRequestError):
        allowed_origin(given, ALLOWED)


@pytest.mark.parametrize(
    "given",
    [
        DEFAULT,
        "http://localhost:5173/api/v1/auth/google/callback",
        "https://eco2.example/api/v1/auth/google/callback",
    ],
)
def test_our_callback_is_an_allowed_redirect_uri(given: str) -> None:
    assert allowed_redirect_uri(given, "google", ALLOWED, DEFAULT) == given


@pytest.mark.parametrize(
    "given",
    [
        "https://evil.example/api/v1/auth/google/callback",
        "http://localhost:5173/api/v1/auth/kakao/callback",  # another provider's callback
        "http://localhost:5173/#/home",
        "http://localhost:5173/api/v1/auth/google/callback?next=https://evil.example",
        "http://localhost:5173@evil.example/api/v1/auth/google/callback",
        "http://127.0.0.1:8081/api/v1/auth/google/callback",
        "/api/v1/auth/google/callback",
    ],
)
def test_other_redirect_targets_are_refused(given: str) -> None:
    with pytest.raises(LoginRequestError):
        allowed_redirect_uri(given, "google", ALLOWED, DEFAULT)
