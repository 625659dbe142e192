"""Events of the users domain."""

from __future__ import annotations

from datetime import datetime

from eventing.catalog import EventData, EventSpec


class UserSignedUp(EventData):
    user_id: str
    provider: str
    created_at: datetime


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        type="kr.eco2.users.signed_up.v1",
        source="/eco2/users",
        data=UserSignedUp,
        version="v1",
        description="A user's first login created their account (the character domain gives 이코).",
    ),
)
