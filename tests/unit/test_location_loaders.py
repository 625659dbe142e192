"""The public formats: KECO boxes (lot = longitude), clothing-bin CSVs, zero-waste shops."""

from __future__ import annotations

import json

import pytest

from functions.location.loaders.formats import MalformedFileError, parse
from functions.location.loaders.importer import SAMPLE_FILES
from functions.location.loaders.synthetic import synthetic_sites
from functions.location.model import Hours, in_korea


def keco(*items: dict[str, str], wrapped: bool = False) -> bytes:
    body = {"items": {"item": list(items)} if wrapped else list(items), "totalCount": "1"}
    return json.dumps({"response": {"header": {"resultCode": "00"}, "body": body}}).encode()


BOX = {"mngNo": "K-1", "instlPlcNm": "역삼1동 주민센터", "lat": "37.4952", "lot": "127.0330",
       "clctTrgtNm": "폐건전지,폐형광등", "operHr": "평일 09:00~18:00",
       "roadNmAddr": "서울특별시 강남구 역삼로 1"}  # fmt: skip


def test_keco_lot_is_the_longitude() -> None:
    (box,) = parse("keco", keco(BOX)).sites
    assert (box.latitude, box.longitude) == (37.4952, 127.0330)
    assert (box.source, box.source_id) == ("keco", "box/K-1")
    assert box.store_category == "public_dropbox" and box.pickup_categories == ("electronics",)
    assert box.hours == Hours(days={d: ("09:00", "18:00") for d in range(5)})
    assert parse("keco", keco(BOX, wrapped=True)).sites == [box]  # {"item": [...]} too


def test_bad_coordinates_are_reported_with_row_and_reason() -> None:
    rows = [
        BOX,
        {**BOX, "mngNo": "K-2", "lat": "", "lot": "127.0"},
        {**BOX, "mngNo": "K-3", "lat": "127.0330", "lot": "37.4952"},
        {**BOX, "mngNo": "K-4", "lat": "nan", "lot": "127"},
        {**BOX, "mngNo": "K-5", "lat": "0", "lot": "0"},
        {**BOX, "mngNo": None},
        "not an object",
    ]
    parsed = parse("keco", keco(*rows))  # type: ignore[arg-type]
    assert [s.source_id for s in parsed.sites] == ["box/K-1"]
    reasons = {(r.row, r.key): r.reason for r in parsed.rejected}
    assert set(reasons) == {(2, "K-2"), (3, "K-3"), (4, "K-4"), (5, "K-5"), (6, None), (7, None)}
    assert "not a number" in reasons[(2, "K-2")]
    assert "swapped" in reasons[(3, "K-3")]
    assert "not finite" in reasons[(4, "K-4")]
    assert "outside Korea" in reasons[(5, "K-5")]


def test_clothing_csv_in_cp949_with_a_stable_key_without_an_id() -> None:
    csv_text = (
        "연번,설치장소,도로명주소,지번주소,위도,경도\n"
        "1,시장 입구,부산 해운대구 구남로 41,,35.1625,129.1610\n"
    )
    (bin_,) = parse("clothing", csv_text.encode("cp949")).sites
    renumbered = csv_text.replace("\n1,", "\n7,")
    (again,) = parse("clothing", renumbered.encode("utf-8")).sites
    assert bin_ == again and bin_.source_id.startswith("clothing/")
    assert bin_.pickup_categories == ("textile",) and bin_.hours == Hours(always=True)
    with pytest.raises(MalformedFileError):
        parse("clothing", b"a,b\n1,2\n")


def test_zero_waste_shops_get_categories_from_their_words() -> None:
    shops = parse("zerowaste", SAMPLE_FILES["zerowaste"].read_bytes())
    assert not shops.rejected
    by_id = {s.source_id: s for s in shops.sites}
    assert by_id["sample-zw-001"].store_category == "refill_zero"
    assert by_id["sample-zw-002"].store_category == "cafe_bakery"
    assert by_id["sample-zw-006"].pickup_categories == ("clear_pet", "can", "glass")
    assert all(s.source == "zerowaste" for s in shops.sites)
    with pytest.raises(MalformedFileError):
        parse("zerowaste", b"{not json")


def test_every_shipped_sample_file_loads_without_rejections() -> None:
    for kind, path in SAMPLE_FILES.items():
        parsed = parse(kind, path.read_bytes())
        assert parsed.sites and not parsed.rejected, kind


def test_synthetic_sites_are_deterministic_and_mostly_in_korea() -> None:
    first = list(synthetic_sites(500, seed=1))
    assert first == list(synthetic_sites(500, seed=1))
    assert len({(s.source, s.source_id) for s in first}) == 500
    inside = sum(in_korea(s.latitude, s.longitude) for s in first)
    assert inside >= 480
