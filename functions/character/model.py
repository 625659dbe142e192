"""The character domain, pure: what a character is, who owns which, and what a scan earns.

No I/O here. The 13 characters are content (names the PWA shows byte-for-byte, dialog lines),
so they live in `data/characters.json` and `catalog.py` loads them into a `CharacterCatalog`,
which checks the invariants the rest of the product relies on when it is built.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from functions.kit.errors import BadRequestError, NotFoundError
from functions.scan.knowledge.taxonomy import RECYCLABLE, RECYCLABLE_MIDDLES

DEFAULT_CODE = "char-eco"  # 이코: every user owns it from the start
# The taxonomy the client maps to icons and characters (domain.md) has one home: the scan
# knowledge base's taxonomy module.
RECYCLABLE_MAJOR = RECYCLABLE
RECYCLABLE_MIDDLE_CATEGORIES: tuple[str, ...] = RECYCLABLE_MIDDLES
CATALOG_SIZE = 1 + len(RECYCLABLE_MIDDLE_CATEGORIES)
# Character ids are derived from codes, so they are stable across deploys and databases.
_ID_NAMESPACE = uuid.UUID("0b7f3c52-9d7e-4b1a-8a43-5c2e6f1d9e21")


class UnknownCharacterError(BadRequestError):
    """A code that is not in the catalog: a grant for it can never succeed (dead-lettered)."""


class InvalidUserIdError(BadRequestError):
    """A user id that is not a UUID cannot have come from the edge or the users domain."""


class UnknownUserError(NotFoundError):
    """An ownership for a user the users domain does not know (a forged or stale grant):
    nothing to give it to, so the event carrying it is dead-lettered, never retried."""


class InvalidCatalogError(ValueError):
    """The data file breaks an invariant; raised at load so a bad deploy never starts."""


def parse_user_id(raw: str) -> str:
    """The canonical form of a user id (lower-case hyphenated UUID), or InvalidUserIdError."""
    try:
        return str(uuid.UUID(raw))
    except (ValueError, AttributeError, TypeError):
        raise InvalidUserIdError(f"user id {raw!r} is not a UUID") from None


@dataclass(frozen=True, slots=True)
class Character:
    code: str
    name: str
    type: str
    dialog: str
    middle_category: str | None  # what earns it; None for the default character
    is_default: bool = False

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_ID_NAMESPACE, self.code))


@dataclass(frozen=True, slots=True)
class Ownership:
    """One user owns one character; `source` says what granted it (a scan job, sign-up)."""

    user_id: str
    character_code: str
    acquired_at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class OwnedCharacter:
    character: Character
    ownership: Ownership


class CharacterCatalog:
    """The validated set of characters and the middle-category → character mapping."""

    def __init__(self, characters: Iterable[Character]) -> None:
        self._by_code: dict[str, Character] = {}
        self._by_middle: dict[str, Character] = {}
        for character in characters:
            self._add(character)
        self._check_complete()
        self.default = self._by_code[DEFAULT_CODE]

    def _add(self, character: Character) -> None:
        if not character.code or not character.name or not character.type:
            raise InvalidCatalogError(f"{character.code!r}: code, name and type are required")
        if not character.dialog.strip():
            raise InvalidCatalogError(f"{character.code}: dialog is empty")
        if character.code in self._by_code:
            raise InvalidCatalogError(f"character code {character.code} appears twice")
        middle = character.middle_category
        if character.is_default != (middle is None):
            raise InvalidCatalogError(
                f"{character.code}: only the default character has no middle category"
            )
        if middle is not None:
            if middle not in RECYCLABLE_MIDDLE_CATEGORIES:
                raise InvalidCatalogError(f"{character.code}: {middle!r} is not a middle category")
            if middle in self._by_middle:
                raise InvalidCatalogError(f"{middle} is mapped to two characters")
            self._by_middle[middle] = character
        self._by_code[character.code] = character

    def _check_complete(self) -> None:
        if len(self._by_code) != CATALOG_SIZE:
            raise InvalidCatalogError(
                f"expected {CATALOG_SIZE} characters, found {len(self._by_code)}"
            )
        defaults = [c.code for c in self._by_code.values() if c.is_default]
        if defaults != [DEFAULT_CODE]:
            raise InvalidCatalogError(f"{DEFAULT_CODE} must be the (only) default character")
        unmapped = [m for m in RECYCLABLE_MIDDLE_CATEGORIES if m not in self._by_middle]
        if unmapped:
            raise InvalidCatalogError(f"no character for middle categories {unmapped}")

    def __iter__(self) -> Iterator[Character]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Character:
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownCharacterError(f"no character with code {code!r}") from None

    def character_for(self, middle_category: str) -> Character | None:
        """The character a recyclable middle category earns (None for anything else)."""
        return self._by_middle.get(middle_category)


def reward_for(
    catalog: CharacterCatalog,
    *,
    major_category: str,
    middle_category: str,
    rule_matched: bool,
    insufficiencies: Sequence[str],
) -> Character | None:
    """The scan reward rule (domain.md): a character only for a recyclable item whose rule
    matched and that was photographed ready to be put out (no insufficiencies)."""
    if major_category != RECYCLABLE_MAJOR or not rule_matched or insufficiencies:
        return None
    return catalog.character_for(middle_category)
