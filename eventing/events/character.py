"""Events of the character domain: the grant command and its outcome."""

from __future__ import annotations

from datetime import datetime

from eventing.catalog import EventData, EventSpec

GRANT_REQUESTED = "kr.eco2.character.grant.requested.v1"
GRANTED = "kr.eco2.character.granted.v1"


class CharacterGrantRequested(EventData):
    """A command: give `character_code` to `user_id`. Publish it with a stable event id
    (e.g. derived from the scan job) so a retried publish is the same command."""

    user_id: str
    character_code: str
    reason: str  # why, for people reading logs and dead letters (e.g. "scan reward: 종이")
    source: str  # what asked for it, e.g. the scan job id; stored with the ownership


class CharacterGranted(EventData):
    """The outcome of a grant; `newly_granted` is False when the user already owned it."""

    user_id: str
    character_code: str
    newly_granted: bool
    acquired_at: datetime


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        type=GRANT_REQUESTED,
        source="/eco2/character/grant-requests",
        data=CharacterGrantRequested,
        version="v1",
        description="Give a user a character (the scan reward step asks; idempotent).",
    ),
    EventSpec(
        type=GRANTED,
        source="/eco2/character",
        data=CharacterGranted,
        version="v1",
        description="A character grant was applied; newly_granted is false for a repeat.",
    ),
)
