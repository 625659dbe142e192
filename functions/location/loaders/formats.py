"""The public formats the map is loaded from, each parsed into `NewSite`s and rejected rows.

- **KECO 폐형광등·폐건전지 수거함** (`keco`): the data.go.kr JSON answer (`response.body.items`, a
  bare array or `{"item": [...]}`, every value a string). Careful: `lat` is the latitude and
  `lot` the LONGITUDE (경도), not a lot number. Key: `mngNo`.
- **의류수거함** (`clothing`): the municipal CSV (UTF-8 or CP949), Korean headers 설치장소,
  도로명주소, 지번주소, 위도, 경도, 관리번호?, 전화번호?. Key: 관리번호, else a digest of the
  addresses and the place (stable across re-exports that renumber 연번).
- **제로웨이스트·리필 가게** (`zerowaste`): a JSON list of shops (`id`, `name`, `kind`,
  `road_address`, `lot_address`, `latitude`, `longitude`, `phone`, `hours`, `items`,
  `introduction`, `place_url`, `kakao_place_id`).

Both box datasets are public drop boxes (`store_category` public_dropbox, source `keco`: the
contract's sources are keco | zerowaste | kakao); shops get categories from `categories.py`.
A row without a usable coordinate inside Korea is rejected with its row number and reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from functions.location.hours import parse_weekly
from functions.location.loaders.categories import pickup_categories_of, store_category_of
from functions.location.model import Hours, LocationError, NewSite, in_korea

KINDS = ("keco", "clothing", "zerowaste")


class MalformedFileError(LocationError):
    """The file as a whole cannot be read in its format (not one bad row: the whole file)."""


@dataclass(frozen=True, slots=True)
class Rejected:
    row: int  # 1-based, in the file's item order (CSV: data rows, header excluded)
    key: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Parsed:
    sites: list[NewSite]
    rejected: list[Rejected]


class BadRow(ValueError):
    pass


def _text(row: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = row.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def coordinate(row: Mapping[str, Any], lat_key: str, lon_key: str) -> tuple[float, float]:
    """(latitude, longitude) from strings or numbers, or BadRow saying what is wrong."""
    raw_lat, raw_lon = row.get(lat_key), row.get(lon_key)
    try:
        lat, lon = float(str(raw_lat).strip()), float(str(raw_lon).strip())
    except ValueError:
        raise BadRow(f"coordinate is not a number ({lat_key}={raw_lat!r}, "
                     f"{lon_key}={raw_lon!r})") from None  # fmt: skip
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise BadRow(f"coordinate is not finite ({lat}, {lon})")
    if not in_korea(lat, lon):
        swapped = " (latitude and longitude swapped?)" if in_korea(lon, lat) else ""
        raise BadRow(f"coordinate ({lat}, {lon}) is outside Korea{swapped}")
    return lat, lon


def _keco(item: Mapping[str, Any]) -> NewSite:
    key = _text(item, "mngNo")
    if key is None:
        raise BadRow("no mngNo")
    lat, lon = coordinate(item, "lat", "lot")  # lot = 경도 (longitude)
    items = _text(item, "clctTrgtNm") or "폐건전지,폐형광등"
    place = _text(item, "instlPlcNm")
    if place is None:
        raise BadRow("no instlPlcNm (place name)")
    detail = _text(item, "instlPlcDtlPstn")
    return NewSite(
        source="keco",
        source_id=f"box/{key}",
        name=f"{place} 폐건전지·폐형광등 수거함",
        latitude=lat,
        longitude=lon,
        store_category="public_dropbox",
        pickup_categories=pickup_categories_of(items) or ("electronics",),
        road_address=_text(item, "roadNmAddr"),
        lot_address=_text(item, "lotnoAddr"),
        phone=_text(item, "telno"),
        collection_items=items,
        introduction=detail,
        hours=parse_weekly(_text(item, "operHr")),
    )


def _clothing(row: Mapping[str, Any]) -> NewSite:
    lat, lon = coordinate(row, "위도", "경도")
    road, lot = _text(row, "도로명주소"), _text(row, "지번주소")
    place = _text(row, "설치장소") or road or lot
    if place is None:
        raise BadRow("no 설치장소 nor address")
    key = _text(row, "관리번호")
    if key is None:
        key = hashlib.sha1(f"{road}|{lot}|{place}".encode()).hexdigest()[:16]
    return NewSite(
        source="keco",
        source_id=f"clothing/{key}",
        name=f"{place} 의류수거함",
        latitude=lat,
        longitude=lon,
        store_category="public_dropbox",
        pickup_categories=("textile",),
        road_address=road,
        lot_address=lot,
        phone=_text(row, "전화번호"),
        collection_items="헌옷, 이불, 신발, 가방",
        hours=Hours(always=True),  # a bin on the street
    )


def _zerowaste(shop: Mapping[str, Any]) -> NewSite:
    key, name = _text(shop, "id"), _text(shop, "name")
    if key is None or name is None:
        raise BadRow("no id or name")
    lat, lon = coordinate(shop, "latitude", "longitude")
    items = _text(shop, "items")
    return NewSite(
        source="zerowaste",
        source_id=key,
        name=name,
        latitude=lat,
        longitude=lon,
        store_category=store_category_of(f"{name} {_text(shop, 'kind') or ''}"),
        pickup_categories=pickup_categories_of(items),
        road_address=_text(shop, "road_address"),
        lot_address=_text(shop, "lot_address"),
        phone=_text(shop, "phone"),
        place_url=_text(shop, "place_url"),
        kakao_place_id=_text(shop, "kakao_place_id"),
        collection_items=items,
        introduction=_text(shop, "introduction"),
        hours=parse_weekly(_text(shop, "hours")),
    )


def _rows_of_json(raw: bytes, kind: str) -> list[Any]:
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedFileError(f"{kind}: not JSON: {exc}") from None
    if kind == "zerowaste":
        items = document.get("shops") if isinstance(document, dict) else document
    else:
        body = document.get("response", {}).get("body", {}) if isinstance(document, dict) else {}
        items = body.get("items") if isinstance(body, dict) else None
        if isinstance(items, dict):  # {"item": [...]} or {"item": {...}} (one row)
            items = items.get("item", [])
            items = [items] if isinstance(items, dict) else items
    if not isinstance(items, list):
        raise MalformedFileError(f"{kind}: no list of items where the format has it")
    return items


def _rows_of_csv(raw: bytes) -> list[dict[str, str]]:
    for encoding in ("utf-8-sig", "cp949"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise MalformedFileError("clothing: neither UTF-8 nor CP949")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"위도", "경도"} <= set(reader.fieldnames):
        raise MalformedFileError("clothing: the CSV has no 위도/경도 columns")
    return list(reader)


PARSERS: dict[str, Callable[[Mapping[str, Any]], NewSite]] = {
    "keco": _keco,
    "clothing": _clothing,
    "zerowaste": _zerowaste,
}


def parse(kind: str, raw: bytes) -> Parsed:
    """Every row of a file of `kind`: the sites, and the rows rejected with why."""
    rows: Iterable[Any] = _rows_of_csv(raw) if kind == "clothing" else _rows_of_json(raw, kind)
    sites, rejected = [], []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            rejected.append(Rejected(number, None, "not an object"))
            continue
        try:
            sites.append(PARSERS[kind](row))
        except BadRow as exc:
            key = _text(row, "mngNo", "관리번호", "id")
            rejected.append(Rejected(number, key, str(exc)))
    return Parsed(sites, rejected)
