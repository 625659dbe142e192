"""Minting and verifying the session JWTs (ES256 with `kid`, claims of docs/adr/0005)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import jwt

from functions.auth.keys import ALGORITHM, KeyRing
from functions.auth.model import ACCESS, REFRESH, Claims, SessionRejectedError, Successor

LEEWAY_S = 30
REQUIRED = ["iss", "aud", "sub", "jti", "sid", "type", "provider", "iat", "nbf", "exp"]


class TokenService:
    def __init__(
        self,
        keys: KeyRing,
        issuer: str,
        audience: str,
        access_ttl_s: int,
        refresh_ttl_s: int,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.access_ttl_s = access_ttl_s
        self.refresh_ttl_s = refresh_ttl_s

    def successor(self, now: float | None = None) -> Successor:
        """Fresh ids and lifetimes for the next access + refresh pair."""
        iat = int(now if now is not None else time.time())
        return Successor(
            access_jti=str(uuid.uuid4()),
            refresh_jti=str(uuid.uuid4()),
            iat=iat,
            access_exp=iat + self.access_ttl_s,
            refresh_exp=iat + self.refresh_ttl_s,
        )

    def claims(self, sub: str, sid: str, provider: str, nxt: Successor) -> tuple[Claims, Claims]:
        access = Claims(
            sub, nxt.access_jti, sid, ACCESS, provider, nxt.iat, nxt.iat, nxt.access_exp
        )
        refresh = Claims(
            sub, nxt.refresh_jti, sid, REFRESH, provider, nxt.iat, nxt.iat, nxt.refresh_exp
        )
        return access, refresh

    def mint(self, claims: Claims, extra: Mapping[str, Any] | None = None) -> str:
        """Sign `claims`; `extra` adds claims of its own (an operator token's `roles`) but may
        not replace a registered one, so a token without extras is exactly as before."""
        payload: dict[str, Any] = {"iss": self.issuer, "aud": self.audience, **asdict(claims)}
        if extra:
            clash = payload.keys() & extra.keys()
            if clash:
                raise ValueError(f"extra claims may not replace {sorted(clash)}")
            payload.update(extra)
        return jwt.encode(
            payload,
            self.keys.signing_key,
            algorithm=ALGORITHM,
            headers={"kid": self.keys.current_kid, "typ": "JWT"},
        )

    def verify(self, token: str, expected_type: str, *, allow_expired: bool = False) -> Claims:
        """The claims of a token we signed, of the expected `type`; anything else is refused.

        `allow_expired` is for logout, which must still be able to revoke a session whose
        access token has just expired.
        """
        try:
            header = jwt.get_unverified_header(token)
            key = self.keys.public_key(str(header.get("kid", "")))
            if key is None or header.get("alg") != ALGORITHM:
                raise SessionRejectedError("token signed with an unknown key", "TOKEN_INVALID")
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_S,
                options={"require": REQUIRED, "verify_exp": not allow_expired},
            )
        except jwt.ExpiredSignatureError:
            raise SessionRejectedError("token expired", "TOKEN_EXPIRED") from None
        except jwt.PyJWTError as exc:
            raise SessionRejectedError(f"invalid token: {exc}", "TOKEN_INVALID") from None
        if payload["type"] != expected_type:
            raise SessionRejectedError(f"not an {expected_type} token", "TOKEN_INVALID")
        fields = Claims.__dataclass_fields__
        return Claims(**{k: payload[k] for k in fields})
