"""What a nickname may hold: what a person types, emoji sequences included; never the
invisible characters that hide or reorder text around a name."""

from __future__ import annotations

import re

import pytest

from functions.users.api import NICKNAME_DOC
from functions.users.model import InvalidNicknameError, normalize_nickname

SHOWN = [
    "지구지킴이",
    "👩\u200d💻 개발자",  # a ZWJ sequence
    "❤\ufe0f 분리배출",  # an emoji with its variation selector
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # a subdivision flag
    "🫨",  # newer than this interpreter's Unicode: unassigned to it, still allowed
]
HIDDEN = [
    "a\u200bb",  # zero width space
    "evil\u202egnp.exe",  # right-to-left override
    "x\u2066y",  # bidi isolate
    "\ufeffbom",
    "private\ue000",
    "soft\u00adhyphen",
    "nul\x00",
]


@pytest.mark.parametrize("name", SHOWN)
def test_what_a_person_types_is_a_nickname(name: str) -> None:
    assert normalize_nickname(f"  {name} ") == name
    assert re.fullmatch(NICKNAME_DOC["pattern"], name)  # and the OpenAPI document agrees


@pytest.mark.parametrize("name", HIDDEN)
def test_invisible_characters_are_refused(name: str) -> None:
    with pytest.raises(InvalidNicknameError):
        normalize_nickname(name)
    assert not re.fullmatch(NICKNAME_DOC["pattern"], name)
