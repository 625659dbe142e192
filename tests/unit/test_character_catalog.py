"""The shipped character catalog, its validation, and the scan reward rule."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from functions.character.catalog import DATA_FILE, load_catalog, parse_catalog
from functions.character.model import (
    RECYCLABLE_MIDDLE_CATEGORIES,
    InvalidCatalogError,
    InvalidUserIdError,
    UnknownCharacterError,
    parse_user_id,
    reward_for,
)
from functions.kit.errors import BadRequestError

# domain.md, byte for byte: code -> (name, middle category that earns it)
CONTRACT = {
    "char-eco": ("이코", None),
    "char-paepy": ("페이피", "종이"),
    "char-factory": ("팩토리", "종이팩"),
    "char-petty": ("페티", "무색페트병"),
    "char-plea": ("플리", "플라스틱류"),
    "char-bini": ("비니", "비닐류"),
    "char-foamy": ("폼이", "발포합성수지"),
    "char-glassy": ("글래시", "유리병"),
    "char-metally": ("메탈리", "금속류"),
    "char-cotton": ("코튼", "의류및원단"),
    "char-battery": ("배리", "전지"),
    "char-lighty": ("라이티", "조명제품"),
    "char-elec": ("일렉", "전기전자제품"),
}


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return copy.deepcopy(loaded)


def test_shipped_catalog_matches_the_contract() -> None:
    catalog = load_catalog()
    assert {c.code: (c.name, c.middle_category) for c in catalog} == CONTRACT
    assert catalog.default.code == "char-eco" and catalog.default.name == "이코"
    assert next(iter(catalog)) is catalog.default
    assert all(c.type and c.dialog.strip() for c in catalog)
    for middle in RECYCLABLE_MIDDLE_CATEGORIES:
        found = catalog.character_for(middle)
        assert found is not None and CONTRACT[found.code][1] == middle
    assert catalog.character_for("일반종량제폐기물") is None


def test_character_ids_are_stable_uuids_unique_per_code() -> None:
    ids = {c.id for c in load_catalog()}
    assert len(ids) == 13
    assert load_catalog().get("char-eco").id == "56d8eb26-cf84-54a8-8fd9-4846ccfb3183"


def _broken(change: str) -> dict[str, Any]:
    doc = document()
    chars: list[dict[str, Any]] = doc["characters"]
    if change == "twelve":
        chars.pop()
    elif change == "duplicate code":
        chars[2]["code"] = chars[1]["code"]
    elif change == "category twice":
        chars[2]["middle_category"] = chars[1]["middle_category"]
    elif change == "not a category":
        chars[1]["middle_category"] = "종이류"
    elif change == "two defaults":
        chars[1].update(middle_category=None, default=True)
    elif change == "no default":
        chars[0]["default"] = False
    elif change == "empty dialog":
        chars[3]["dialog"] = "  "
    elif change == "unknown field":
        chars[3]["colour"] = "green"
    elif change == "name not a string":
        chars[3]["name"] = 7
    return doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("twelve", "expected 13 characters"),
        ("duplicate code", "appears twice"),
        ("category twice", "mapped to two characters"),
        ("not a category", "not a middle category"),
        ("two defaults", "default"),
        ("no default", "default"),
        ("empty dialog", "dialog is empty"),
        ("unknown field", "unknown fields ['colour']"),
        ("name not a string", "must be strings"),
    ],
)
def test_a_broken_data_file_is_refused_at_load(change: str, message: str) -> None:
    with pytest.raises(InvalidCatalogError, match=message.replace("[", r"\[")):
        parse_catalog(_broken(change))


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "characters.json"
    path.write_text("characters: []")
    with pytest.raises(InvalidCatalogError, match="not JSON"):
        load_catalog(path)


def test_unknown_code_is_a_bad_request() -> None:
    with pytest.raises(UnknownCharacterError, match="char-nope") as caught:
        load_catalog().get("char-nope")
    assert isinstance(caught.value, BadRequestError)  # → 400 and dead letter


@pytest.mark.parametrize(
    ("major", "middle", "matched", "insufficiencies", "expected"),
    [
        ("재활용폐기물", "종이", True, [], "char-paepy"),
        ("재활용폐기물", "전지", True, [], "char-battery"),
        ("재활용폐기물", "종이", False, [], None),  # no rule matched
        ("재활용폐기물", "무색페트병", True, ["라벨을 떼지 않았어요"], None),
        ("일반종량제폐기물", "일반종량제폐기물", True, [], None),
        ("재활용폐기물", "미분류", True, [], None),
    ],
)
def test_reward_rule(
    major: str, middle: str, matched: bool, insufficiencies: list[str], expected: str | None
) -> None:
    found = reward_for(
        load_catalog(),
        major_category=major,
        middle_category=middle,
        rule_matched=matched,
        insufficiencies=insufficiencies,
    )
    assert (found.code if found else None) == expected


def test_user_ids_are_canonical_uuids() -> None:
    assert parse_user_id("8C2F1D2E-0B0A-4F5E-9A1B-2C3D4E5F6A7B") == (
        "8c2f1d2e-0b0a-4f5e-9a1b-2c3d4e5f6a7b"
    )
    for bad in ("", "42", "not-a-uuid"):
        with pytest.raises(InvalidUserIdError):
            parse_user_id(bad)
