"""KMA 단기예보 조회서비스 over httpx: current observation and the short-term forecast.

`GET {base}/getUltraSrtNcst` and `/getVilageFcst` with `serviceKey`, `dataType=JSON`,
`base_date`, `base_time`, `nx`, `ny`. The answer is `{"response": {"header": {"resultCode",
"resultMsg"}, "body": {"items": {"item": [...]}}}}`; values are strings. A refused key or an
exceeded quota often comes back from the data.go.kr gateway as XML (`<returnReasonCode>`), even
when JSON was asked for. Result codes: 00 ok; 03 NO_DATA (not published yet: step back one base);
01/02/04/05 temporary (retried); anything else a refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from functions.location.hours import SEOUL
from functions.location.public import kma_grid
from functions.location.public.datagokr import data_go_kr_items
from functions.location.public.errors import MalformedResponseError, NoDataError
from functions.location.public.ports import Forecast, ForecastSlot, Observation
from functions.location.public.resilient import Source

PROVIDER = "kma"


def _observation(nx: int, ny: int, base: datetime) -> Callable[[httpx.Response], Observation]:
    def parse(response: httpx.Response) -> Observation:
        items = data_go_kr_items(PROVIDER, response)
        try:
            values = {str(i["category"]): str(i["obsrValue"]) for i in items}
        except KeyError as exc:
            raise MalformedResponseError(PROVIDER, f"item without {exc}") from exc
        if not values:
            raise NoDataError(PROVIDER, "no observation items", "03")
        return Observation(nx, ny, base, values)

    return parse


def _forecast(nx: int, ny: int, base: datetime) -> Callable[[httpx.Response], Forecast]:
    def parse(response: httpx.Response) -> Forecast:
        slots: dict[datetime, dict[str, str]] = {}
        for item in data_go_kr_items(PROVIDER, response):
            try:
                at = datetime.strptime(f"{item['fcstDate']}{item['fcstTime']}", "%Y%m%d%H%M")
                slot = slots.setdefault(at.replace(tzinfo=SEOUL), {})
                slot[str(item["category"])] = str(item["fcstValue"])
            except (KeyError, ValueError) as exc:
                raise MalformedResponseError(PROVIDER, f"bad forecast item: {exc!r}") from exc
        if not slots:
            raise NoDataError(PROVIDER, "no forecast items", "03")
        return Forecast(nx, ny, base, [ForecastSlot(k, v) for k, v in sorted(slots.items())])

    return parse


class KmaWeather:
    """The real adapter (`settings.data_go_kr_key` set)."""

    def __init__(
        self,
        source: Source,
        service_key: str,
        base_url: str,
        now: Callable[[], datetime] = lambda: datetime.now(SEOUL),
    ) -> None:
        self._source, self._key, self._base, self._now = source, service_key, base_url, now

    async def _call(self, operation: str, base: datetime, nx: int, ny: int, parse: Any) -> Any:
        base_date, base_time = kma_grid.wire(base)
        params = {"serviceKey": self._key, "pageNo": 1, "numOfRows": 1000, "dataType": "JSON",
                  "base_date": base_date, "base_time": base_time, "nx": nx, "ny": ny}  # fmt: skip
        return await self._source.get(
            f"{self._base.rstrip('/')}/{operation}", parse, params=params,
            cache_key=(operation, base_date, base_time, nx, ny),
        )  # fmt: skip

    async def current(self, latitude: float, longitude: float) -> Observation:
        nx, ny = kma_grid.to_grid(latitude, longitude)
        base = kma_grid.observation_base(self._now())
        try:
            found: Observation = await self._call(
                "getUltraSrtNcst", base, nx, ny, _observation(nx, ny, base)
            )
        except NoDataError:  # the newest hour is not out yet: the one before
            base = kma_grid.previous_observation(base)
            found = await self._call("getUltraSrtNcst", base, nx, ny, _observation(nx, ny, base))
        return found

    async def forecast(self, latitude: float, longitude: float) -> Forecast:
        nx, ny = kma_grid.to_grid(latitude, longitude)
        base = kma_grid.forecast_base(self._now())
        try:
            found: Forecast = await self._call(
                "getVilageFcst", base, nx, ny, _forecast(nx, ny, base)
            )
        except NoDataError:
            base = kma_grid.previous_forecast(base)
            found = await self._call("getVilageFcst", base, nx, ny, _forecast(nx, ny, base))
        return found
