"""Ports of the auth domain. Each store has a memory and a Redis adapter passing one
contract suite (tests/contract/test_auth_stores.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from functions.auth.model import LoginState, RefreshRecord, Revocation, Rotation, Successor
from functions.users.model import SocialProfile


class StateStore(Protocol):
    async def put(self, login: LoginState) -> None:
        """Keep the login until `login.expires_at`."""
        ...

    async def take(self, state: str) -> LoginState | None:
        """The login, exactly once: None when unknown, expired or already taken."""
        ...

    async def admit(self, client: str, limit: int, window_s: int) -> float:
        """Count one login start by `client` (its address): 0 when it is within `limit`
        starts per `window_s`, else the seconds until it may start again. This is also what
        bounds the stored states: a client holds at most `limit * ttl / window_s` of them."""
        ...


class SessionStore(Protocol):
    async def open(self, record: RefreshRecord) -> None:
        """A new session family with its first refresh token."""
        ...

    async def rotate(
        self, jti: str, sid: str, successor: Successor, now: float, grace_s: float
    ) -> Rotation:
        """Atomically: first use → ROTATED (the successor becomes the live token); another use
        within `grace_s` of the first → REPLAYED with the same successor; later → REUSED and
        the whole family is revoked; a revoked family → REVOKED; no such token → UNKNOWN."""
        ...

    async def revoke_family(self, sid: str) -> int | None:
        """Revoke every token of the family; its latest expiry, None when unknown."""
        ...


class RevocationStore(Protocol):
    async def revoke(self, entries: Sequence[Revocation]) -> None:
        """Record and announce (to every subscriber) each entry."""
        ...

    async def is_revoked(self, jti: str, sid: str, now: float) -> bool: ...

    async def snapshot(self, now: float) -> list[Revocation]:
        """Every entry that has not yet expired."""
        ...

    def subscribe(self) -> AbstractAsyncContextManager[AsyncIterator[Revocation]]:
        """Entries revoked from now on; live once the context is entered."""
        ...


class OAuthClient(Protocol):
    """One login provider, spoken to over its real wire format (or simulated: dev)."""

    name: str
    uses_pkce: bool

    def authorization_url(self, login: LoginState, code_challenge: str | None) -> str: ...

    async def exchange(self, code: str, login: LoginState) -> SocialProfile:
        """Redeem the code at the provider and read the profile; ProviderError otherwise."""
        ...
