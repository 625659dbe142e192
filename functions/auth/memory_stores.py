"""In-memory state, session and revocation stores for the embedded mode (one process).

Same contracts as the Redis adapters. Nothing survives a restart, and neither do the keys
generated at start in that mode, so no session outlives its process anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Sequence

from functions.auth.model import (
    LoginState,
    Outcome,
    RefreshRecord,
    Revocation,
    Rotation,
    Successor,
)

MAX_STATES = 10_000  # logins in flight in one process; past it the oldest is forgotten
MAX_CLIENTS = 100_000  # rate windows kept; past it the oldest window is forgotten


class MemoryStateStore:
    """Bounded: at most `max_states` logins (expired ones go first, then the oldest, whose
    user simply starts again) and `max_clients` rate windows."""

    def __init__(self, max_states: int = MAX_STATES, max_clients: int = MAX_CLIENTS) -> None:
        self._logins: dict[str, LoginState] = {}
        self._windows: dict[str, tuple[float, int]] = {}  # client -> (window end, starts)
        self._max_states = max_states
        self._max_clients = max_clients

    async def put(self, login: LoginState) -> None:
        now = time.time()
        for state in [s for s, v in self._logins.items() if v.expires_at <= now]:
            del self._logins[state]  # forget the abandoned ones
        while len(self._logins) >= self._max_states:
            del self._logins[next(iter(self._logins))]  # the oldest (insertion order)
        self._logins[login.state] = login

    def __len__(self) -> int:
        """Logins kept (expired ones included until the next put)."""
        return len(self._logins)

    async def admit(self, client: str, limit: int, window_s: int) -> float:
        now = time.monotonic()
        ends, starts = self._windows.pop(client, (0.0, 0))
        if ends <= now:
            ends, starts = now + window_s, 0
        if len(self._windows) >= self._max_clients:
            del self._windows[next(iter(self._windows))]
        self._windows[client] = (ends, starts + 1)  # re-inserted: now the newest
        return 0.0 if starts < limit else ends - now

    async def take(self, state: str) -> LoginState | None:
        login = self._logins.pop(state, None)  # pop: single use
        if login is None or login.expires_at <= time.time():
            return None
        return login


@dataclasses.dataclass
class _Token:
    record: RefreshRecord
    successor: Successor | None = None
    rotated_at: float | None = None


@dataclasses.dataclass
class _Family:
    exp: int
    revoked: bool = False


def _rotation(
    outcome: Outcome, record: RefreshRecord, family: _Family, successor: Successor | None = None
) -> Rotation:
    return Rotation(outcome, successor, family.exp, record.user_id, record.provider)


class MemorySessionStore:
    """No await inside a critical section: each method is atomic on the event loop."""

    def __init__(self) -> None:
        self._tokens: dict[str, _Token] = {}
        self._families: dict[str, _Family] = {}

    async def open(self, record: RefreshRecord) -> None:
        now = time.time()
        for jti in [j for j, t in self._tokens.items() if t.record.exp < now]:
            del self._tokens[jti]  # forget expired tokens (and families nobody refers to)
        live = {t.record.sid for t in self._tokens.values()}
        for sid in [s for s in self._families if s not in live]:
            del self._families[sid]
        self._tokens[record.jti] = _Token(record)
        self._families[record.sid] = _Family(exp=record.exp)

    async def rotate(
        self, jti: str, sid: str, successor: Successor, now: float, grace_s: float
    ) -> Rotation:
        token = self._tokens.get(jti)
        family = self._families.get(sid)
        if token is None or token.record.sid != sid or family is None or token.record.exp < now:
            return Rotation(Outcome.UNKNOWN)
        record = token.record
        if family.revoked:
            return _rotation(Outcome.REVOKED, record, family)
        if token.successor is None:
            token.successor, token.rotated_at = successor, now
            nxt = dataclasses.replace(record, jti=successor.refresh_jti, exp=successor.refresh_exp)
            self._tokens[nxt.jti] = _Token(nxt)
            family.exp = max(family.exp, nxt.exp)
            return _rotation(Outcome.ROTATED, record, family, successor)
        if token.rotated_at is not None and now - token.rotated_at <= grace_s:
            return _rotation(Outcome.REPLAYED, record, family, token.successor)
        family.revoked = True
        return _rotation(Outcome.REUSED, record, family)

    async def revoke_family(self, sid: str) -> int | None:
        family = self._families.get(sid)
        if family is None:
            return None
        family.revoked = True
        return family.exp


class MemoryRevocationStore:
    def __init__(self) -> None:
        self._entries: dict[str, Revocation] = {}
        self._subscribers: list[asyncio.Queue[Revocation]] = []

    async def revoke(self, entries: Sequence[Revocation]) -> None:
        for entry in entries:
            kept = self._entries.get(entry.member)
            if kept is None or kept.exp < entry.exp:  # keep the longest expiry
                self._entries[entry.member] = entry
            for queue in self._subscribers:
                queue.put_nowait(entry)

    async def is_revoked(self, jti: str, sid: str, now: float) -> bool:
        return any(
            (e := self._entries.get(m)) is not None and e.exp >= now
            for m in (f"jti:{jti}", f"sid:{sid}")
        )

    async def snapshot(self, now: float) -> list[Revocation]:
        for member in [m for m, e in self._entries.items() if e.exp < now]:
            del self._entries[member]
        return list(self._entries.values())

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Revocation]]:
        queue: asyncio.Queue[Revocation] = asyncio.Queue()
        self._subscribers.append(queue)
        try:
            yield _drain(queue)
        finally:
            self._subscribers.remove(queue)


async def _drain(queue: asyncio.Queue[Revocation]) -> AsyncIterator[Revocation]:
    while True:
        yield await queue.get()
