"""Cleaning rules every ingested article goes through, whatever its provider.

- **Canonical URL** (the de-duplication key): scheme and host lower-cased, default port, the
  fragment and every tracking parameter dropped (`utm_*`, `fbclid`, `gclid`, ... below), the
  remaining query sorted, `http` kept as given (an outlet that serves both would count twice;
  providers hand out the same scheme for the same story in practice).
- **Text**: tags removed, entities decoded, whitespace collapsed; titles ≤ 300 characters,
  snippets ≤ 500 (cut on a character, with "…").
- **Category** by keyword rules (docs/adr/0014-info-news.md): the title and snippet are
  matched, lower-cased, against each category's keywords; the category with the most hits
  wins, ties going to `ai`, then `energy`, then `environment` (the rarer, more specific tags
  first); no hit at all falls back to the provider's own category when it maps, else to
  `environment` (every query and feed we ingest is an environmental one).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from functions.info.model import (
    Article,
    CategoryName,
    RawArticle,
    article_id,
    utc,
)

TITLE_MAX = 300
SNIPPET_MAX = 500
TRACKING_PREFIXES = ("utm_", "stat_", "ga_", "mc_", "pk_")
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mkt_tok", "spm", "ref",
    "ref_src", "rss", "from", "cmpid", "ocid", "_ga", "sns", "nclick", "ncid", "share",
})  # fmt: skip
KEYWORDS: dict[CategoryName, tuple[str, ...]] = {
    "ai": (
        "인공지능", "ai", "생성형", "챗gpt", "chatgpt", "머신러닝", "딥러닝", "llm", "로봇",
        "자율주행", "데이터센터", "빅데이터", "디지털 전환",
    ),
    "energy": (
        "에너지", "전력", "태양광", "풍력", "수소", "원전", "원자력", "재생에너지",
        "신재생", "배터리", "전기차", "충전", "발전소", "석탄", "lng", "전기요금", "송전",
        "ess", "탄소배출권",
    ),
    "environment": (
        "환경", "재활용", "분리배출", "쓰레기", "폐기물", "플라스틱", "기후", "탄소중립",
        "미세먼지", "생태", "오염", "일회용", "다회용", "제로웨이스트", "업사이클", "자원순환",
        "온실가스", "생물다양성", "탄소", "친환경", "녹색", "폭염", "멸종",
    ),
}  # fmt: skip
_TIE_ORDER: tuple[CategoryName, ...] = ("ai", "energy", "environment")
_ASCII_WORD = re.compile(r"^[a-z0-9]+$")
_SPACE = re.compile(r"\s+")


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def strip_html(text: str, limit: int | None = None) -> str:
    """Plain text of an HTML fragment (Naver's `<b>` highlights, RSS summaries)."""
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    plain = _SPACE.sub(" ", html.unescape("".join(parser.parts))).strip()
    plain = "".join(c for c in plain if c.isprintable())
    if limit is not None and len(plain) > limit:
        plain = plain[: limit - 1].rstrip() + "…"
    return plain


def canonical_url(url: str) -> str:
    """The de-duplication key of a link; ValueError if it is not an absolute http(s) URL."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = parts.hostname.lower()
    port = parts.port
    netloc = host if port in (None, 80 if scheme == "http" else 443) else f"{host}:{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)
    )
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def _tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _hits(text: str, words: tuple[str, ...]) -> list[str]:
    found = []
    for word in words:
        if _ASCII_WORD.match(word):  # "ai" must not match "said" or "email"
            if re.search(rf"(?<![a-z0-9]){word}(?![a-z0-9])", text):
                found.append(word)
        elif word in text:
            found.append(word)
    return found


def categorize(
    title: str, snippet: str, hint: CategoryName | None
) -> tuple[CategoryName, list[str]]:
    """The category by the keyword rules above, and the keywords that decided it."""
    text = f"{title} {snippet}".lower()
    hits = {category: _hits(text, KEYWORDS[category]) for category in _TIE_ORDER}
    best = max(_TIE_ORDER, key=lambda c: (len(hits[c]), -_TIE_ORDER.index(c)))
    if hits[best]:
        return best, hits[best]
    return hint or "environment", []


def clean(raw: RawArticle) -> Article:
    """An article as stored and served; ValueError for one without a usable link or title."""
    url = canonical_url(raw.url)
    title = strip_html(raw.title, TITLE_MAX)
    if not title:
        raise ValueError(f"{raw.source}: an article without a title ({url})")
    snippet = strip_html(raw.snippet, SNIPPET_MAX)
    category, matched = categorize(title, snippet, raw.category_hint)
    keywords = tuple(dict.fromkeys([*(k.strip() for k in raw.keywords if k.strip()), *matched]))
    return Article(
        id=article_id(url),
        title=title,
        url=url,
        snippet=snippet,
        source=raw.source,
        source_name=strip_html(raw.source_name, 100) or urlsplit(url).hostname or raw.source,
        published_at=utc(raw.published_at),
        category=category,
        thumbnail_url=_http_url(raw.thumbnail_url),
        source_icon_url=_http_url(raw.source_icon_url),
        video_url=_http_url(raw.video_url),
        keywords=keywords[:10],
        ai_tag=raw.ai_tag,
    )


def _http_url(url: str | None) -> str | None:
    """Only absolute http(s) links reach the client (no `javascript:` or `data:`)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.hostname else None
