"""Events of the auth domain (docs/adr/0005: every revocation is also a CloudEvent)."""

from __future__ import annotations

from typing import Literal

from eventing.catalog import EventData, EventSpec


class SessionRevoked(EventData):
    kind: Literal["jti", "sid"]  # one token, or a whole session family
    value: str
    exp: int  # epoch second after which the entry may be forgotten
    user_id: str | None = None
    reason: Literal["logout", "refresh_reuse"]


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        type="kr.eco2.auth.session.revoked.v1",
        source="/eco2/auth",
        data=SessionRevoked,
        version="v1",
        description="A token (jti) or a session family (sid) was revoked: logout or refresh reuse.",
    ),
)
