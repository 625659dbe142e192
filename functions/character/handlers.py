"""Event handlers of the character domain: the grant command and the welcome gift.

Exactly-once ownership does not rest on the processed-event store alone (ADR 0003 leaves a
window where a handler can run twice, and distinct events may ask for the same grant): the
repository's (user, character) uniqueness makes every repeat a no-op that replies
`newly_granted: false`.
"""

from __future__ import annotations

import logging

from eventing.events.character import CharacterGranted, CharacterGrantRequested
from eventing.events.users import UserSignedUp
from functions.character import services
from functions.character.model import DEFAULT_CODE, CharacterCatalog
from functions.character.ports import OwnershipRepository

log = logging.getLogger(__name__)
SIGNUP_SOURCE = "signup"


def _granted(result: services.Granted) -> CharacterGranted:
    ownership = result.ownership
    return CharacterGranted(
        user_id=ownership.user_id,
        character_code=ownership.character_code,
        newly_granted=result.newly_granted,
        acquired_at=ownership.acquired_at,
    )


async def grant(
    data: CharacterGrantRequested,
    character_ownerships: OwnershipRepository,
    character_catalog: CharacterCatalog,
) -> CharacterGranted:
    """`character-grant`: apply a grant request (unknown codes and bad ids dead-letter)."""
    result = await services.grant(
        character_ownerships, character_catalog, data.user_id, data.character_code, data.source
    )
    log.info(
        "grant %s to %s (%s, %s): %s",
        data.character_code,
        data.user_id,
        data.reason,
        data.source,
        "new" if result.newly_granted else "already owned",
    )
    return _granted(result)


async def welcome(
    data: UserSignedUp,
    character_ownerships: OwnershipRepository,
    character_catalog: CharacterCatalog,
) -> CharacterGranted:
    """`character-welcome`: a new user gets 이코 (a no-op if a read already gave it)."""
    result = await services.grant(
        character_ownerships, character_catalog, data.user_id, DEFAULT_CODE, SIGNUP_SOURCE
    )
    return _granted(result)
