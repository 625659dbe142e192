"""Operator tokens: access tokens with the operator role, and their local credential file."""

from __future__ import annotations

import stat
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest

from functions.auth import keys
from functions.auth.keys import KeyRing
from functions.auth.model import ACCESS
from functions.auth.operator import (
    credential_path,
    issue_local_credential,
    mint_operator,
    read_local_credential,
    write_local_credential,
)
from functions.auth.tokens import TokenService
from functions.kit.settings import Settings

REGISTERED = {"iss", "aud", "sub", "jti", "sid", "type", "provider", "iat", "nbf", "exp"}


def _tokens() -> TokenService:
    return TokenService(KeyRing(keys.generate()), "eco2-auth", "eco2-api", 900, 1_209_600)


def _decode(tokens: TokenService, token: str) -> dict[str, Any]:
    body: dict[str, Any] = jwt.decode(
        token,
        tokens.keys.signing_key.public_key(),
        algorithms=["ES256"],
        audience="eco2-api",
        issuer="eco2-auth",
    )
    return body


def test_operator_token_is_an_access_token_with_the_operator_role() -> None:
    tokens = _tokens()
    before = int(time.time())
    token = mint_operator(tokens, "alice", 600)
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": tokens.keys.current_kid,
                                                "typ": "JWT"}  # fmt: skip
    body = _decode(tokens, token)
    assert set(body) == REGISTERED | {"roles"}
    assert body["roles"] == ["operator"]
    assert body["sub"] == "operator:alice" and body["provider"] == "operator"
    assert body["type"] == ACCESS and uuid.UUID(body["sid"]) and uuid.UUID(body["jti"])
    assert body["iat"] == body["nbf"] >= before and body["exp"] == body["iat"] + 600
    # Our own verifier takes it as an ordinary access token.
    assert tokens.verify(token, ACCESS).sub == "operator:alice"


def test_each_operator_token_is_its_own_session() -> None:
    tokens = _tokens()
    first, second = (_decode(tokens, mint_operator(tokens, "bob", 60)) for _ in range(2))
    assert first["sid"] != second["sid"] and first["jti"] != second["jti"]


def test_user_tokens_carry_no_roles() -> None:
    tokens = _tokens()
    access, refresh = tokens.claims("user-1", "sid-1", "kakao", tokens.successor())
    for token in (tokens.mint(access), tokens.mint(refresh)):
        assert set(_decode(tokens, token)) == REGISTERED


def test_extra_claims_cannot_replace_registered_ones() -> None:
    tokens = _tokens()
    access, _ = tokens.claims("user-1", "sid-1", "kakao", tokens.successor())
    with pytest.raises(ValueError, match="sub"):
        tokens.mint(access, {"sub": "operator:mallory", "roles": ["operator"]})


@pytest.mark.parametrize("name", ["", "a b", "x\n", "ü", "-lead", "a" * 65, "a/b", "a:b"])
def test_operator_names_are_plain_identifiers(name: str) -> None:
    with pytest.raises(ValueError, match="operator name"):
        mint_operator(_tokens(), name, 60)


@pytest.mark.parametrize("ttl", [0, -1, 31 * 24 * 3600])
def test_operator_tokens_have_a_bounded_life(ttl: int) -> None:
    with pytest.raises(ValueError, match="lives"):
        mint_operator(_tokens(), "alice", ttl)


def test_credential_file_is_owner_only_and_parents_are_created(tmp_path: Path) -> None:
    path = tmp_path / "state" / "eco2" / "operator-token"
    assert write_local_credential(path, "tok-1") == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_local_credential(path) == "tok-1"


def test_credential_file_is_replaced_atomically(tmp_path: Path) -> None:
    path = tmp_path / "operator-token"
    path.write_text("old\n")
    path.chmod(0o644)  # an old, too open file is replaced, not rewritten in place
    write_local_credential(path, "tok-2")
    assert read_local_credential(path) == "tok-2"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["operator-token"]  # no temp file left


def test_missing_credential_reads_as_none(tmp_path: Path) -> None:
    assert read_local_credential(tmp_path / "nope") is None
    (tmp_path / "empty").write_text("\n")
    assert read_local_credential(tmp_path / "empty") is None


def test_credential_path_defaults_to_the_state_directory() -> None:
    assert credential_path(None) == Path.home() / ".local/state/eco2/operator-token"
    assert credential_path("/run/eco2/tok") == Path("/run/eco2/tok")


def test_a_running_mesh_issues_a_local_operator_credential(tmp_path: Path) -> None:
    ring = KeyRing(keys.generate())
    settings = Settings(operator_token_file=str(tmp_path / "tok"))
    path = issue_local_credential(ring, settings)
    assert path == tmp_path / "tok" and stat.S_IMODE(path.stat().st_mode) == 0o600
    token = read_local_credential(path)
    assert token is not None
    tokens = TokenService(ring, settings.jwt_issuer, settings.jwt_audience, 900, 900)
    body = _decode(tokens, token)
    assert body["sub"] == "operator:local" and body["roles"] == ["operator"]
