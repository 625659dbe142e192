"""ES256 signing keys, their `kid`s and the JWKS (docs/adr/0005).

A key's `kid` is its RFC 7638 thumbprint, so every process derives the same `kid` from the
same PEM with nothing else to configure. The current key signs; previous keys only verify
and stay in the JWKS until their last token has expired (then drop them from settings).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from functions.kit.settings import Settings

log = logging.getLogger(__name__)
ALGORITHM = "ES256"


def _b64(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode("ascii")


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": _b64(numbers.x), "y": _b64(numbers.y)}


def thumbprint(key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace."""
    canonical = json.dumps(public_jwk(key), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _pem(text: str) -> bytes:
    return text.replace("\\n", "\n").strip().encode()  # env vars often carry escaped newlines


def load_private(pem: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(_pem(pem), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the JWT signing key must be an EC P-256 private key")
    return key


def load_public(pem: str) -> ec.EllipticCurvePublicKey:
    """A previous key, given as its public or (for convenience) its private PEM."""
    raw = _pem(pem)
    if b"PRIVATE KEY" in raw:
        return load_private(pem).public_key()
    key = serialization.load_pem_public_key(raw)
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValueError("a previous JWT key must be an EC P-256 key")
    return key


def generate() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class KeyRing:
    def __init__(
        self,
        current: ec.EllipticCurvePrivateKey,
        previous: Sequence[ec.EllipticCurvePublicKey] = (),
    ) -> None:
        self.signing_key = current
        self.current_kid = thumbprint(current.public_key())
        self._public = {self.current_kid: current.public_key()}
        for key in previous:
            self._public.setdefault(thumbprint(key), key)

    def public_key(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        return self._public.get(kid)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """Every key that may still verify a live token, the current one first."""
        return {
            "keys": [
                {**public_jwk(key), "kid": kid, "alg": ALGORITHM, "use": "sig"}
                for kid, key in self._public.items()
            ]
        }


def keyring_from_settings(settings: Settings) -> KeyRing:
    """Real deployments configure `ECO2_JWT_PRIVATE_KEY` (and `ECO2_JWT_PREVIOUS_KEYS` while
    rotating). Without one a key is generated for this process: right for the embedded
    mode (one process; sessions end with it), wrong for several replicas, hence the warning."""
    previous = [load_public(pem) for pem in settings.jwt_previous_keys]
    if settings.jwt_private_key:
        return KeyRing(load_private(settings.jwt_private_key), previous)
    if settings.mode == "real":
        log.warning("ECO2_JWT_PRIVATE_KEY is not set: signing with a key generated at start")
    return KeyRing(generate(), previous)
