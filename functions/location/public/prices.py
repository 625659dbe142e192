"""Recyclable market prices (KECO's survey) from a versioned data file.

The survey is published monthly as a table, not an API, so the prices ship as
`data/recyclable_prices.json` with its `version` and `surveyed_on` date; an answer always says
which sheet it came from (and whether its figures are sample ones). Read once per process.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from functions.location.model import LocationError
from functions.location.public.ports import Price, PriceSheet

PRICES_FILE = Path(__file__).resolve().parents[1] / "data" / "recyclable_prices.json"


class InvalidPriceSheetError(LocationError):
    pass


def parse_sheet(document: Any) -> PriceSheet:
    try:
        prices = [
            Price(str(p["region"]), str(p["material"]), int(p["price"])) for p in document["prices"]
        ]
        return PriceSheet(
            version=str(document["version"]),
            surveyed_on=date.fromisoformat(str(document["surveyed_on"])),
            source=str(document["source"]),
            sample=bool(document.get("sample", False)),
            prices=prices,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidPriceSheetError(f"price sheet: {exc!r}") from exc


@lru_cache(maxsize=4)
def load_sheet(path: Path = PRICES_FILE) -> PriceSheet:
    return parse_sheet(json.loads(path.read_text(encoding="utf-8")))


class FilePrices:
    """Prices by region and/or material (substring match: "PET" finds both PETs)."""

    def __init__(self, path: Path = PRICES_FILE) -> None:
        self._path = path

    async def prices(self, region: str | None = None, material: str | None = None) -> PriceSheet:
        sheet = load_sheet(self._path)
        chosen = [
            p
            for p in sheet.prices
            if (region is None or region in p.region)
            and (material is None or material.casefold() in p.material.casefold())
        ]
        return PriceSheet(sheet.version, sheet.surveyed_on, sheet.source, sheet.sample, chosen)
