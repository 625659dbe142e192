"""The category rules: a site's `store_category` and `pickup_categories` from its words.

Public files do not speak the PWA's categories; these rules derive them from a site's name,
its kind and the items it collects. The first matching store rule wins (order matters: a
"제로웨이스트 카페" is a refill shop before it is a café); every matching pickup rule adds its
category (and "투명 페트" is clear PET, any other "페트" coloured PET). Public drop boxes (KECO's,
clothing bins) are `public_dropbox` by their dataset, not by these words.

| store_category   | words (name or kind)                                       |
|------------------|------------------------------------------------------------|
| refill_zero      | 리필, 제로웨이스트, 제로 웨이스트, zero waste, 알맹, 무포장     |
| upcycle_recycle  | 업사이클, 리사이클, 재활용, 되살림, 수리                        |
| vegan_dining     | 비건, 채식, vegan                                           |
| cafe_bakery      | 카페, 커피, 베이커리, 제과, 빵, cafe, coffee                    |
| book_workshop    | 서점, 책방, 공방, 워크숍, 도서                                 |
| market_mart      | 마트, 시장, 마켓, 슈퍼, 생협, 식료품                            |
| lodging          | 호텔, 숙박, 게스트하우스, 펜션, 스테이                           |
| general          | anything else                                              |

| pickup_category | words (collected items)                                    |
|-----------------|------------------------------------------------------------|
| clear_pet       | 투명페트, 무색페트, 투명 페트, 생수병                          |
| colored_pet     | 유색페트, 페트 / PET without 투명·무색                        |
| can             | 캔, 알루미늄, 철캔                                           |
| paper           | 종이, 우유팩, 종이팩, 멸균팩, 신문                              |
| plastic         | 플라스틱, 병뚜껑, 병 뚜껑                                     |
| glass           | 유리                                                        |
| textile         | 의류, 헌옷, 옷, 섬유, 원단                                    |
| electronics     | 전지, 건전지, 배터리, 형광등, 조명, 전자, 가전, 휴대폰, 폐전지 |
| general         | 기타 (named as such)                                        |
"""

from __future__ import annotations

import re

from functions.location.model import PICKUP_CATEGORIES

STORE_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("refill_zero", ("리필", "제로웨이스트", "제로 웨이스트", "zero waste", "zerowaste", "알맹",
                     "무포장")),
    ("upcycle_recycle", ("업사이클", "리사이클", "재활용", "되살림", "수리")),
    ("vegan_dining", ("비건", "채식", "vegan")),
    ("cafe_bakery", ("카페", "커피", "베이커리", "제과", "빵", "cafe", "coffee")),
    ("book_workshop", ("서점", "책방", "공방", "워크숍", "도서")),
    ("market_mart", ("마트", "시장", "마켓", "슈퍼", "생협", "식료품")),
    ("lodging", ("호텔", "숙박", "게스트하우스", "펜션", "스테이")),
)  # fmt: skip
PICKUP_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("clear_pet", ("투명페트", "무색페트", "생수병")),
    ("can", ("캔", "알루미늄")),
    ("paper", ("종이", "우유팩", "멸균팩", "신문")),
    ("plastic", ("플라스틱", "병뚜껑")),
    ("glass", ("유리",)),
    ("textile", ("의류", "헌옷", "옷", "섬유", "원단")),
    ("electronics", ("전지", "배터리", "형광등", "조명", "전자", "가전", "휴대폰")),
    ("general", ("기타",)),
)
_PET = re.compile(r"페트|pet", re.IGNORECASE)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def store_category_of(text: str) -> str:
    """The first store rule whose word appears in `text` (spaces ignored), else general."""
    squashed = _squash(text)
    for category, words in STORE_RULES:
        if any(_squash(w) in squashed for w in words):
            return category
    return "general"


def pickup_categories_of(text: str | None) -> tuple[str, ...]:
    """Every pickup category `text` names, in the contract's order (never None)."""
    if not text:
        return ()
    squashed = _squash(text)
    found = {c for c, words in PICKUP_RULES if any(_squash(w) in squashed for w in words)}
    if _PET.search(squashed.replace("투명페트", "").replace("무색페트", "")):
        found.add("colored_pet")
    return tuple(c for c in PICKUP_CATEGORIES if c in found)
