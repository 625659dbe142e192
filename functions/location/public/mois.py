"""MOIS (행정안전부) household-waste collection info and bulky-waste fees, by 시군구.

Both are data.go.kr answers (`datagokr.py`): items may arrive as a bare array, numbers as
strings ("3,000"). The field names are the UPPER_SNAKE ones of the MOIS open API (`FIELDS`,
`FEE_FIELDS`: one place to adjust if the provider renames them). The district filter is sent
as a parameter AND applied to the rows, so a provider that ignores it cannot hand us another
district's days.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from functions.location.public.datagokr import data_go_kr_items, total_count
from functions.location.public.errors import MalformedResponseError
from functions.location.public.ports import BulkyFee, CollectionInfo, Schedule
from functions.location.public.resilient import Source

PROVIDER = "mois"
COLLECTION_PATH = "/household_waste_info/info"
FEES_PATH = "/bulky_waste_fee/info"
PAGE_ROWS = 500
MAX_PAGES = 10
# waste type -> its (days, start, end, method) fields
FIELDS = {
    "생활쓰레기": ("LF_WST_EMSN_DOW", "LF_WST_EMSN_BGNG_TM", "LF_WST_EMSN_END_TM",
                   "LF_WST_EMSN_MTHD"),
    "음식물쓰레기": ("FOD_WST_EMSN_DOW", "FOD_WST_EMSN_BGNG_TM", "FOD_WST_EMSN_END_TM",
                     "FOD_WST_EMSN_MTHD"),
    "재활용품": ("RCYCL_EMSN_DOW", "RCYCL_EMSN_BGNG_TM", "RCYCL_EMSN_END_TM", "RCYCL_EMSN_MTHD"),
}  # fmt: skip
FEE_FIELDS = {"item": "LRG_WST_NM", "category": "LRG_WST_CTGRY_NM", "size": "LRG_WST_STNDRD",
              "fee": "FEE_AMT"}  # fmt: skip


def _text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    return str(value).strip() or None if value is not None else None


def won(value: Any) -> int:
    """ "3,000", "3000원", 3000 -> 3000; anything else is malformed."""
    digits = re.sub(r"[,\s원]", "", str(value))
    if not digits.isdigit():
        raise MalformedResponseError(PROVIDER, f"fee is not an amount: {value!r}")
    return int(digits)


def same_district(row: dict[str, Any], sigungu: str, sido: str | None) -> bool:
    def squash(v: Any) -> str:
        return re.sub(r"\s", "", str(v or ""))

    if squash(row.get("SGG_NM")) != squash(sigungu):
        return False
    return sido is None or squash(row.get("CTPV_NM")) == squash(sido)


def collection_of(row: dict[str, Any]) -> CollectionInfo:
    schedules = {}
    for kind, (days, start, end, method) in FIELDS.items():
        if _text(row, days) or _text(row, method):
            schedules[kind] = Schedule(
                _text(row, days) or "", _text(row, start), _text(row, end), _text(row, method)
            )
    return CollectionInfo(
        sido=_text(row, "CTPV_NM") or "",
        sigungu=_text(row, "SGG_NM") or "",
        zone=_text(row, "MNG_ZONE_NM"),
        place=_text(row, "EMSN_PLC"),
        schedules=schedules,
        no_collection_day=_text(row, "UNCLLT_DAY"),
        department=_text(row, "MNG_DEPT_NM"),
        phone=_text(row, "MNG_DEPT_TELNO"),
    )


def fee_of(row: dict[str, Any]) -> BulkyFee:
    item = _text(row, FEE_FIELDS["item"])
    if item is None or FEE_FIELDS["fee"] not in row:
        raise MalformedResponseError(PROVIDER, "fee row without item or amount")
    return BulkyFee(
        sido=_text(row, "CTPV_NM") or "",
        sigungu=_text(row, "SGG_NM") or "",
        item=item,
        category=_text(row, FEE_FIELDS["category"]),
        size=_text(row, FEE_FIELDS["size"]),
        fee_won=won(row[FEE_FIELDS["fee"]]),
    )


Page = tuple[list[dict[str, Any]], int | None]


def _page(response: httpx.Response) -> Page:
    return data_go_kr_items(PROVIDER, response), total_count(response)


class MoisWasteRules:
    """The real adapter (`settings.data_go_kr_key` set)."""

    def __init__(self, source: Source, service_key: str, base_url: str) -> None:
        self._source, self._key, self._base = source, service_key, base_url.rstrip("/")

    async def _rows(self, path: str, sigungu: str, sido: str | None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            params = {
                "serviceKey": self._key,
                "pageNo": page,
                "numOfRows": PAGE_ROWS,
                "type": "json",
                "SGG_NM": sigungu,
                **({"CTPV_NM": sido} if sido else {}),
            }
            items, total = await self._source.get(
                f"{self._base}{path}", _page, params=params,
                cache_key=(path, sido, sigungu, page),
            )  # fmt: skip
            rows.extend(items)
            if not items or total is None or page * PAGE_ROWS >= total:
                break
        return [r for r in rows if same_district(r, sigungu, sido)]

    async def collection(self, sigungu: str, sido: str | None = None) -> list[CollectionInfo]:
        return [collection_of(r) for r in await self._rows(COLLECTION_PATH, sigungu, sido)]

    async def bulky_fees(
        self, sigungu: str, sido: str | None = None, item: str | None = None
    ) -> list[BulkyFee]:
        fees = [fee_of(r) for r in await self._rows(FEES_PATH, sigungu, sido)]
        return [f for f in fees if item is None or item in f.item]
