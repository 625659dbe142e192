"""KMA's 단기예보 grid: latitude/longitude → (nx, ny) and the base date/time of each product.

The grid is KMA's Lambert conformal conic projection (standard parallels 30° and 60°N, origin
38°N 126°E at grid point (43, 136), 5 km cells, earth radius 6371.00877 km), as the API guide
documents it; Seoul City Hall is (60, 127).

Base times (Asia/Seoul): 초단기실황 (getUltraSrtNcst) is observed on the hour and published
about 10 minutes later; 단기예보 (getVilageFcst) is issued at 02, 05, 08, 11, 14, 17, 20 and
23 h and published about 10 minutes later. Before that, the previous base is the newest;
if the newest is still missing (KMA's 03 NO_DATA), the client steps back once more.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from functions.location.hours import SEOUL

RE_KM = 6371.00877
GRID_KM = 5.0
SLAT1, SLAT2 = 30.0, 60.0
OLON, OLAT = 126.0, 38.0
XO, YO = 43, 136
PUBLISH_DELAY = timedelta(minutes=10)
FORECAST_HOURS = (2, 5, 8, 11, 14, 17, 20, 23)


def to_grid(latitude: float, longitude: float) -> tuple[int, int]:
    rad = math.pi / 180.0
    re = RE_KM / GRID_KM
    slat1, slat2 = SLAT1 * rad, SLAT2 * rad
    olon, olat = OLON * rad, OLAT * rad
    sn = math.log(math.cos(slat1) / math.cos(slat2)) / math.log(
        math.tan(math.pi * 0.25 + slat2 * 0.5) / math.tan(math.pi * 0.25 + slat1 * 0.5)
    )
    sf = math.tan(math.pi * 0.25 + slat1 * 0.5) ** sn * math.cos(slat1) / sn
    ro = re * sf / math.tan(math.pi * 0.25 + olat * 0.5) ** sn
    ra = re * sf / math.tan(math.pi * 0.25 + latitude * rad * 0.5) ** sn
    theta = longitude * rad - olon
    if theta > math.pi:
        theta -= 2.0 * math.pi
    if theta < -math.pi:
        theta += 2.0 * math.pi
    theta *= sn
    nx = math.floor(ra * math.sin(theta) + XO + 0.5)
    ny = math.floor(ro - ra * math.cos(theta) + YO + 0.5)
    return nx, ny


def observation_base(now: datetime) -> datetime:
    """The newest 초단기실황 hour published at `now`."""
    local = now.astimezone(SEOUL) - PUBLISH_DELAY
    return local.replace(minute=0, second=0, microsecond=0)


def previous_observation(base: datetime) -> datetime:
    return base - timedelta(hours=1)


def forecast_base(now: datetime) -> datetime:
    """The newest 단기예보 issue published at `now` (before 02:10: yesterday's 23:00)."""
    local = now.astimezone(SEOUL) - PUBLISH_DELAY
    hours = [h for h in FORECAST_HOURS if h <= local.hour]
    if not hours:
        day = local - timedelta(days=1)
        return day.replace(hour=23, minute=0, second=0, microsecond=0)
    return local.replace(hour=hours[-1], minute=0, second=0, microsecond=0)


def previous_forecast(base: datetime) -> datetime:
    return base - timedelta(hours=3)


def wire(base: datetime) -> tuple[str, str]:
    """(base_date "YYYYMMDD", base_time "HHMM") as the API wants them."""
    local = base.astimezone(SEOUL)
    return local.strftime("%Y%m%d"), local.strftime("%H%M")
