"""The waste taxonomy the PWA client hard-codes (domain.md): names are exact, byte for byte.

Kept apart from the knowledge data so the client-facing names can never drift with an edit
of a YAML file: the loader checks the data against these constants.
"""

from __future__ import annotations

RECYCLABLE = "재활용폐기물"
UNCLASSIFIED = "미분류"

MAJORS: tuple[str, ...] = (
    RECYCLABLE,
    "일반종량제폐기물",
    "불연성종량제폐기물",
    "음식물류폐기물",
    "공사장생활폐기물",
    "대형폐기물",
    "생활계유해폐기물",
    UNCLASSIFIED,
)

RECYCLABLE_MIDDLES: tuple[str, ...] = (
    "종이",
    "종이팩",
    "무색페트병",
    "플라스틱류",
    "비닐류",
    "발포합성수지",
    "유리병",
    "금속류",
    "의류및원단",
    "전지",
    "조명제품",
    "전기전자제품",
)

# Majors that have a rule document of their own (all but recyclable, split by middle, and 미분류).
OTHER_MAJORS: tuple[str, ...] = tuple(m for m in MAJORS if m not in (RECYCLABLE, UNCLASSIFIED))


def is_valid(major: str, middle: str) -> bool:
    """A (major, middle) pair the client can render: recyclables by one of the 12 middles, any
    other major with the middle equal to the major."""
    if major == RECYCLABLE:
        return middle in RECYCLABLE_MIDDLES
    return major in MAJORS and middle == major


def is_destination(name: str) -> bool:
    """A name a rule may send an item to: a classifiable major or a recyclable middle."""
    return name in RECYCLABLE_MIDDLES or name in OTHER_MAJORS


def category_of(destination: str) -> tuple[str, str]:
    """The (major, middle) pair of a destination name (see `is_destination`)."""
    if destination in RECYCLABLE_MIDDLES:
        return RECYCLABLE, destination
    return destination, destination
