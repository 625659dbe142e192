"""The users domain model: pure data and the rules for names (no I/O here).

A user is created by the first login of a social account and is found again by that
account's (provider, provider user id); the profile a provider sends only seeds it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from functions.kit.errors import BadRequestError, Eco2Error, NotFoundError, UnavailableError

NICKNAME_MAX = 30
USERNAME_MAX = 64
_USERNAME_UNSAFE = re.compile(r"[^0-9A-Za-z._-]+")
EMOJI_JOINER = "\u200d"
EMOJI_TAGS = ("\U000e0020", "\U000e007f")


class UsersError(Eco2Error):
    """Base of the users package's errors."""


class InvalidNicknameError(UsersError, BadRequestError):
    pass


class UserNotFoundError(UsersError, NotFoundError):
    pass


class UsersUnavailableError(UsersError, UnavailableError):
    """The user store could not be reached (translated from the driver's errors)."""


@dataclass(frozen=True, slots=True)
class SocialProfile:
    """What a provider told us about the person who logged in."""

    provider: str
    provider_user_id: str
    email: str | None = None
    nickname: str | None = None
    phone_number: str | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    nickname: str
    phone_number: str | None
    email: str | None
    provider: str  # the provider of the social account that created the user
    created_at: datetime
    announced: bool  # users.signed_up was published for this user


def derive_username(profile: SocialProfile) -> str:
    """Never empty (the PWA reads an empty username as "logged out"): the e-mail's local
    part when there is one, else `<provider>_<provider user id>`."""
    local = (profile.email or "").partition("@")[0]
    cleaned = _USERNAME_UNSAFE.sub("", local)[:USERNAME_MAX]
    if cleaned:
        return cleaned
    fallback = _USERNAME_UNSAFE.sub("", f"{profile.provider}_{profile.provider_user_id}")
    return fallback[:USERNAME_MAX] or profile.provider


def derive_nickname(profile: SocialProfile, username: str) -> str:
    """The provider's nickname when it is a valid one, else the username (truncated)."""
    try:
        return normalize_nickname(profile.nickname or "")
    except InvalidNicknameError:
        return username[:NICKNAME_MAX]


def _invisible(char: str) -> bool:
    """Control, surrogate, private-use and format characters — the invisible ones (zero
    width spaces, bidi overrides that reorder the text around a name) — except the two that
    build emoji: the zero width joiner (👩‍💻) and the tag characters of subdivision flags.
    Unassigned code points pass: they are this interpreter's Unicode being older than an
    emoji's."""
    category = unicodedata.category(char)
    if category == "Cf":
        return char != EMOJI_JOINER and not EMOJI_TAGS[0] <= char <= EMOJI_TAGS[1]
    return category in ("Cc", "Cs", "Co")


def normalize_nickname(value: str) -> str:
    """Trim, then refuse what the PWA cannot show: empty, too long, invisible characters."""
    nickname = unicodedata.normalize("NFC", value).strip()
    if not nickname:
        raise InvalidNicknameError("nickname must not be empty")
    if len(nickname) > NICKNAME_MAX:
        raise InvalidNicknameError(f"nickname must be at most {NICKNAME_MAX} characters")
    if any(_invisible(c) for c in nickname):
        raise InvalidNicknameError("nickname must not contain control or invisible characters")
    return nickname
