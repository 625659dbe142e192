"""Opening hours → the map's `is_open`, `is_holiday`, `start_time`, `end_time`, in Asia/Seoul.

Sites keep weekly hours (`model.Hours`); what a pin shows depends on the moment in Korea, not
on the server's zone. An evening that runs past midnight ("18:00"–"02:00") stays open into the
next morning. Unknown hours answer `is_open: null` rather than guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from functions.location.model import Hours

SEOUL = ZoneInfo("Asia/Seoul")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KOREAN_WEEKDAYS = "월화수목금토일"
_HHMM = re.compile(r"^([01]?\d|2[0-4]):?([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class OpenState:
    is_open: bool | None
    is_holiday: bool
    start_time: str | None
    end_time: str | None


def hhmm(value: str) -> str:
    """ "9:00", "0900", "09:00" -> "09:00"; anything else is a ValueError."""
    found = _HHMM.match(value.strip())
    if not found or (found.group(1) == "24" and found.group(2) != "00"):
        raise ValueError(f"not a time of day: {value!r}")
    return f"{int(found.group(1)):02d}:{found.group(2)}"


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _open_at(span: tuple[str, str], minute: int, yesterday: bool) -> bool:
    start, end = _minutes(span[0]), _minutes(span[1])
    if end > start:
        return not yesterday and start <= minute < end
    if yesterday:  # an overnight span of the day before, still running after midnight
        return minute < end
    return minute >= start  # overnight (or 24 h when start == end) from start on


def state_at(hours: Hours | None, moment: datetime) -> OpenState:
    """What a pin shows at `moment` (any zone; evaluated in Seoul)."""
    if hours is None:
        return OpenState(None, False, None, None)
    if hours.always:
        return OpenState(True, False, "00:00", "24:00")
    local = moment.astimezone(SEOUL)
    minute = local.hour * 60 + local.minute
    today = hours.days.get(local.weekday())
    before = hours.days.get((local.weekday() - 1) % 7)
    spill = before is not None and _open_at(before, minute, yesterday=True)
    if today is None:
        return OpenState(spill, not spill, None, None)
    return OpenState(spill or _open_at(today, minute, False), False, today[0], today[1])


def now_in_seoul() -> datetime:
    return datetime.now(SEOUL)


def to_document(hours: Hours | None) -> dict[str, Any] | None:
    """The JSON kept in the sites table (`{"always": true}` or `{"mon": ["09:00", "18:00"]}`)."""
    if hours is None:
        return None
    if hours.always:
        return {"always": True}
    return {WEEKDAYS[day]: list(span) for day, span in sorted(hours.days.items())}


def from_document(document: Any) -> Hours | None:
    if not isinstance(document, dict):
        return None
    if document.get("always") is True:
        return Hours(always=True)
    days = {
        WEEKDAYS.index(key): (str(span[0]), str(span[1]))
        for key, span in document.items()
        if key in WEEKDAYS and isinstance(span, list) and len(span) == 2
    }
    return Hours(days=days)


def parse_weekly(text: str | None) -> Hours | None:
    """Hours as the public files write them: "24시간", "매일 10:00-20:00",
    "월-금 09:00~18:00, 토 10:00~14:00" (the rest of the week closed). Unparseable → None."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if text.replace(" ", "") in ("24시간", "연중무휴24시간", "상시"):
        return Hours(always=True)
    days: dict[int, tuple[str, str]] = {}
    for part in re.split(r"[,/;]\s*", text):
        found = re.match(r"^\s*(매일|평일|주말|[월화수목금토일](?:\s*[-~]\s*[월화수목금토일])?)\s*"
                         r"(\d{1,2}:?\d{2})\s*[-~]\s*(\d{1,2}:?\d{2})\s*$", part)  # fmt: skip
        if not found:
            return None
        try:
            span = (hhmm(found.group(2)), hhmm(found.group(3)))
        except ValueError:
            return None
        for day in _weekdays(found.group(1)):
            days[day] = span
    return Hours(days=days)


def _weekdays(spec: str) -> range | list[int]:
    spec = re.sub(r"\s", "", spec)
    if spec == "매일":
        return range(7)
    if spec == "평일":
        return range(5)
    if spec == "주말":
        return [5, 6]
    first = KOREAN_WEEKDAYS.index(spec[0])
    last = KOREAN_WEEKDAYS.index(spec[-1])
    return range(first, last + 1) if last >= first else [*range(first, 7), *range(last + 1)]
