"""Sessions: open one at login, rotate it on refresh, end it at logout (docs/adr/0005).

A session family (`sid`) is every token of one login. Each refresh token is used once; a
second use within the grace window (the PWA fires concurrent refreshes) gets the session the
first use created; a use after it means the token leaked, so the family is revoked.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from eventing.events.auth import SessionRevoked
from functions.auth.model import (
    ACCESS,
    REFRESH,
    Claims,
    Outcome,
    RefreshRecord,
    Revocation,
    SessionRejectedError,
    Successor,
)
from functions.auth.ports import RevocationStore, SessionStore
from functions.auth.tokens import LEEWAY_S, TokenService
from functions.kit.publisher import Publisher

log = logging.getLogger(__name__)
REVOKED_NAMESPACE = uuid.UUID("3c1f7a0e-8d5b-4c36-b7a2-6e9d14f0c2a8")


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: str
    refresh: str
    access_claims: Claims
    refresh_claims: Claims


class Sessions:
    def __init__(
        self,
        *,
        tokens: TokenService,
        store: SessionStore,
        revocations: RevocationStore,
        publisher: Publisher,
        grace_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tokens = tokens
        self._store = store
        self._revocations = revocations
        self._publisher = publisher
        self._grace_s = grace_s
        self._clock = clock

    def _pair(self, sub: str, sid: str, provider: str, nxt: Successor) -> TokenPair:
        access, refresh = self.tokens.claims(sub, sid, provider, nxt)
        return TokenPair(self.tokens.mint(access), self.tokens.mint(refresh), access, refresh)

    async def open(self, user_id: str, provider: str) -> TokenPair:
        sid = str(uuid.uuid4())
        nxt = self.tokens.successor(self._clock())
        await self._store.open(
            RefreshRecord(nxt.refresh_jti, sid, user_id, provider, nxt.refresh_exp)
        )
        return self._pair(user_id, sid, provider, nxt)

    async def refresh(self, refresh_token: str | None) -> TokenPair:
        if not refresh_token:
            raise SessionRejectedError("no refresh token", "TOKEN_MISSING")
        claims = self.tokens.verify(refresh_token, REFRESH)
        now = self._clock()
        if await self._revocations.is_revoked(claims.jti, claims.sid, now):
            raise SessionRejectedError("session revoked", "TOKEN_REVOKED")
        rotation = await self._store.rotate(
            claims.jti, claims.sid, self.tokens.successor(now), now, self._grace_s
        )
        if rotation.outcome in (Outcome.ROTATED, Outcome.REPLAYED) and rotation.successor:
            return self._pair(claims.sub, claims.sid, claims.provider, rotation.successor)
        if rotation.outcome is Outcome.REUSED:
            exp = max(rotation.family_exp or 0, claims.exp) + LEEWAY_S
            revoked = Revocation("sid", claims.sid, exp)
            await self._announce([revoked], claims.sub, "refresh_reuse")
            raise SessionRejectedError("refresh token reused: session revoked", "TOKEN_REUSED")
        if rotation.outcome is Outcome.REVOKED:
            raise SessionRejectedError("session revoked", "TOKEN_REVOKED")
        raise SessionRejectedError("unknown or expired session", "TOKEN_INVALID")

    async def logout(self, access_token: str | None, refresh_token: str | None) -> list[Revocation]:
        """Revoke what the cookies name: the access token's `jti` and the whole family."""
        presented = [
            c
            for c in (self._claims(access_token, ACCESS), self._claims(refresh_token, REFRESH))
            if c is not None
        ]
        now = int(self._clock())
        entries: list[Revocation] = []
        for claims in presented:
            # Kept until verifiers stop accepting the token: exp plus their clock leeway.
            if claims.type == ACCESS and claims.exp + LEEWAY_S > now:
                entries.append(Revocation("jti", claims.jti, claims.exp + LEEWAY_S))
        for sid in dict.fromkeys(c.sid for c in presented):
            family_exp = await self._store.revoke_family(sid)
            exp = max([family_exp or 0, *(c.exp for c in presented if c.sid == sid)]) + LEEWAY_S
            if exp > now:
                entries.append(Revocation("sid", sid, exp))
        if entries:
            await self._announce(entries, presented[0].sub, "logout")
        return entries

    def _claims(self, token: str | None, kind: str) -> Claims | None:
        if not token:
            return None
        try:
            return self.tokens.verify(token, kind, allow_expired=True)
        except SessionRejectedError:
            return None  # not ours or tampered with: nothing to revoke

    async def _announce(
        self, entries: list[Revocation], user_id: str, reason: Literal["logout", "refresh_reuse"]
    ) -> None:
        """Into the revocation store (what the authz reads), then as CloudEvents. The store
        write must succeed; a failed publish is logged (the store is the source of truth)."""
        await self._revocations.revoke(entries)
        for entry in entries:
            event = SessionRevoked(
                kind=entry.kind, value=entry.value, exp=entry.exp, user_id=user_id, reason=reason
            )
            try:
                await self._publisher.publish(
                    event,
                    event_id=str(uuid.uuid5(REVOKED_NAMESPACE, entry.member)),
                    subject=f"users/{user_id}",
                    partition_key=user_id,
                )
            except Exception:
                log.exception("could not publish the revocation of %s", entry.member)
