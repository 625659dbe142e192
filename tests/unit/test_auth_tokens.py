"""Session JWTs per docs/adr/0005: ES256 with kid, the claims, types, TTLs, key rotation."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from functions.auth import keys
from functions.auth.keys import KeyRing, keyring_from_settings
from functions.auth.model import ACCESS, REFRESH, SessionRejectedError
from functions.auth.tokens import TokenService
from functions.kit.settings import Settings


def service(ring: KeyRing, access_ttl_s: int = 900, refresh_ttl_s: int = 1_209_600) -> TokenService:
    return TokenService(ring, "eco2-auth", "eco2-api", access_ttl_s, refresh_ttl_s)


def pair(tokens: TokenService, now: float | None = None) -> tuple[str, str]:
    access, refresh = tokens.claims("user-1", "sid-1", "kakao", tokens.successor(now))
    return tokens.mint(access), tokens.mint(refresh)


def test_tokens_are_es256_with_kid_and_every_claim_of_the_adr() -> None:
    ring = KeyRing(keys.generate())
    tokens = service(ring)
    before = int(time.time())
    access, refresh = pair(tokens)
    for token, kind, ttl in ((access, ACCESS, 900), (refresh, REFRESH, 1_209_600)):
        header = jwt.get_unverified_header(token)
        assert header == {"alg": "ES256", "kid": ring.current_kid, "typ": "JWT"}
        body = jwt.decode(
            token,
            ring.signing_key.public_key(),
            algorithms=["ES256"],
            audience="eco2-api",
            issuer="eco2-auth",
        )
        assert set(body) == {"iss", "aud", "sub", "jti", "sid", "type", "provider", "iat",
                             "nbf", "exp"}  # fmt: skip
        assert body["type"] == kind and body["sub"] == "user-1" and body["sid"] == "sid-1"
        assert body["provider"] == "kakao" and uuid.UUID(body["jti"])
        assert body["iat"] == body["nbf"] >= before and body["exp"] - body["iat"] == ttl


def test_access_and_refresh_tokens_cannot_stand_in_for_each_other() -> None:
    tokens = service(KeyRing(keys.generate()))
    access, refresh = pair(tokens)
    assert tokens.verify(access, ACCESS).type == ACCESS
    assert tokens.verify(refresh, REFRESH).type == REFRESH
    with pytest.raises(SessionRejectedError, match="not an access token"):
        tokens.verify(refresh, ACCESS)
    with pytest.raises(SessionRejectedError, match="not an refresh token"):
        tokens.verify(access, REFRESH)


def test_jwks_lists_current_and_previous_public_keys_only() -> None:
    old, new = keys.generate(), keys.generate()
    ring = KeyRing(new, [old.public_key()])
    found = ring.jwks()["keys"]
    assert [k["kid"] for k in found] == [keys.thumbprint(new.public_key()),
                                         keys.thumbprint(old.public_key())]  # fmt: skip
    for jwk in found:
        assert set(jwk) == {"kty", "crv", "x", "y", "kid", "alg", "use"}  # no "d"
        assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
        public = jwt.algorithms.ECAlgorithm.from_jwk(jwk)
        assert isinstance(public, ec.EllipticCurvePublicKey)


def test_tokens_of_the_old_key_verify_after_rotation_and_new_ones_use_the_new_key() -> None:
    old, new = keys.generate(), keys.generate()
    before = service(keyring_from_settings(Settings(jwt_private_key=keys.private_pem(old))))
    old_access, _ = pair(before)
    pem = keys.private_pem(new).replace("\n", "\\n")  # as an env var often carries it
    rotated = keyring_from_settings(
        Settings(mode="real", jwt_private_key=pem, jwt_previous_keys=[keys.private_pem(old)])
    )
    after = service(rotated)
    assert after.verify(old_access, ACCESS).sub == "user-1"
    new_access, _ = pair(after)
    assert jwt.get_unverified_header(new_access)["kid"] == keys.thumbprint(new.public_key())
    assert jwt.get_unverified_header(old_access)["kid"] != rotated.current_kid
    dropped = service(KeyRing(new))  # once the old key leaves the settings, its tokens die
    with pytest.raises(SessionRejectedError, match="unknown key"):
        dropped.verify(old_access, ACCESS)


def test_kid_is_derived_from_the_key_so_every_replica_agrees() -> None:
    pem = keys.private_pem(keys.generate())
    first = keyring_from_settings(Settings(jwt_private_key=pem))
    second = keyring_from_settings(Settings(jwt_private_key=pem))
    assert first.current_kid == second.current_kid
    assert first.jwks() == second.jwks()


def test_embedded_mode_generates_a_key_at_start() -> None:
    a, b = keyring_from_settings(Settings()), keyring_from_settings(Settings())
    assert a.current_kid != b.current_kid  # per process: sessions end with it (documented)


@pytest.mark.parametrize(
    "forge",
    ["hs256_with_public_key_bytes", "foreign_key_same_kid", "alg_none", "tampered_payload"],
)
def test_forged_tokens_are_rejected(forge: str) -> None:
    ring = KeyRing(keys.generate())
    tokens = service(ring)
    access, _ = pair(tokens)
    body = jwt.decode(access, options={"verify_signature": False})
    if forge == "hs256_with_public_key_bytes":
        forged = jwt.encode(body, "secret-" * 8, algorithm="HS256",
                            headers={"kid": ring.current_kid})  # fmt: skip
    elif forge == "foreign_key_same_kid":
        forged = jwt.encode(body, keys.generate(), algorithm="ES256",
                            headers={"kid": ring.current_kid})  # fmt: skip
    elif forge == "alg_none":
        forged = jwt.encode(body, None, algorithm="none", headers={"kid": ring.current_kid})
    else:
        head, _, sig = access.split(".")
        other = jwt.encode({**body, "sub": "someone-else"}, ring.signing_key, algorithm="ES256")
        forged = f"{head}.{other.split('.')[1]}.{sig}"
    with pytest.raises(SessionRejectedError):
        tokens.verify(forged, ACCESS)


def test_expired_tokens_are_refused_except_to_logout() -> None:
    tokens = service(KeyRing(keys.generate()), access_ttl_s=1)
    access, _ = pair(tokens, now=time.time() - 120)  # expired 119 s ago (> 30 s leeway)
    with pytest.raises(SessionRejectedError) as refused:
        tokens.verify(access, ACCESS)
    assert refused.value.code == "TOKEN_EXPIRED"
    assert tokens.verify(access, ACCESS, allow_expired=True).sub == "user-1"


@pytest.mark.parametrize("claim", ["iss", "aud"])
def test_tokens_of_another_issuer_or_audience_are_refused(claim: str) -> None:
    ring = KeyRing(keys.generate())
    access, _ = pair(service(ring))
    body = {**jwt.decode(access, options={"verify_signature": False}), claim: "someone-else"}
    forged = jwt.encode(body, ring.signing_key, algorithm="ES256",
                        headers={"kid": ring.current_kid})  # fmt: skip
    with pytest.raises(SessionRejectedError):
        service(ring).verify(forged, ACCESS)


def test_only_p256_keys_are_accepted() -> None:
    other = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(ValueError, match="P-256"):
        keys.load_private(keys.private_pem(other))  # type: ignore[arg-type]
