"""이코's answer without a model (the offline provider's): Markdown written from the contexts
the sub-agents found, one section each, and a plain word about what is missing. Deterministic,
so the tests can check it and the embedded mesh answers something true."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

GREETING = "안녕하세요, 이코예요! 🌱"
MISSING: dict[str, str] = {
    "location": "주변 가게를 찾으려면 위치 공유를 켜 주세요.",
    "collection_point": "가까운 수거함을 찾으려면 위치 공유를 켜 주세요.",
    "weather": "지금은 날씨 정보를 가져오지 못했어요.",
    "bulk_waste": "대형폐기물 수수료 정보를 가져오지 못했어요. 구청 누리집에서 확인해 주세요.",
    "recyclable_price": "재활용품 시세를 가져오지 못했어요.",
    "character": "캐릭터 정보를 가져오지 못했어요.",
    "image_generation": "지금은 그림을 그리지 못했어요. 잠시 뒤에 다시 부탁해 주세요.",
}
# With a location shared, a missing place or bin is a source that failed, not a missing point.
UNAVAILABLE: dict[str, str] = {
    "location": "지금은 주변 가게 정보를 가져오지 못했어요.",
    "collection_point": "지금은 수거함 정보를 가져오지 못했어요.",
}


def _waste(c: Mapping[str, Any]) -> list[str]:
    lines = [f"### {c['item']} 버리는 법", f"**{c['major']} › {c['middle']}** ({c['rule']})", ""]
    lines += [f"{n}. {step}" for n, step in enumerate(c.get("steps") or [], start=1)]
    for warning in c.get("insufficiencies") or []:
        lines.append(f"- ⚠️ {warning}")
    return lines


SAMPLE = "(예시 데이터예요: 실제 수치는 구청·한국환경공단 자료로 확인해 주세요.)"


def _places(title: str, items: list[Mapping[str, Any]], radius_m: Any = None) -> list[str]:
    lines = [f"### {title}"]
    for p in items:
        extra = f" · {', '.join(p['accepts'])}" if p.get("accepts") else ""
        lines.append(f"- **{p['name']}** ({p['distance_text']}) {p['address']}{extra}")
    if not items and radius_m:
        lines.append(f"반경 {distance_of(radius_m)} 안에서는 찾지 못했어요.")
    return lines


def distance_of(meters: Any) -> str:
    return f"{meters / 1000:g}km" if meters >= 1000 else f"{meters:g}m"


def _weather(c: Mapping[str, Any]) -> list[str]:
    if not c.get("available", True):
        return [f"### 날씨 ({c['region']})", c["tip"]]
    rain = c.get("precipitation") or "없음"
    sky = "강수 없음" if rain == "없음" else rain
    return [f"### 날씨 ({c['region']})", f"{sky}, {c.get('temperature_c')}°C. {c['tip']}"]


def _schedule(schedule: Mapping[str, Any] | None) -> list[str]:
    lines = []
    for kind, s in (schedule or {}).items():
        hours = f" {s['start']}~{s['end']}" if s.get("start") and s.get("end") else ""
        how = f" ({s['method']})" if s.get("method") else ""
        lines.append(f"- {kind}: {s['days']}{hours}{how}")
    return lines


def _bulk(c: Mapping[str, Any]) -> list[str]:
    if not c.get("district"):
        return ["### 대형폐기물", "어느 구·군인지 알려 주시면 수수료와 배출 요일을 찾아 드릴게요.",
                c["booking"]]  # fmt: skip
    lines = [f"### 대형폐기물·배출 요일 ({c['district']})"]
    lines += [f"- {f['item']}: {f['fee_won']:,}원" for f in c.get("fees") or []]
    lines += _schedule(c.get("schedule"))
    if c.get("no_collection_day"):
        lines.append(f"- 수거하지 않는 날: {c['no_collection_day']}")
    lines.append(c["booking"])
    return lines + ([SAMPLE] if c.get("sample") else [])


def _prices(c: Mapping[str, Any]) -> list[str]:
    lines = [f"### 재활용품 시세 ({c['region']}, {c['as_of']})"]
    lines += [f"- {p['material']}: kg당 {p['won_per_kg']:,}원" for p in c.get("prices") or []]
    return lines + ([SAMPLE] if c.get("sample") else [])


def _character(c: Mapping[str, Any]) -> list[str]:
    lines = ["### 캐릭터"]
    if c.get("mentioned"):
        m = c["mentioned"]
        lines.append(f"**{m['name']}** ({m['type']}): “{m['dialog']}”")
        if m.get("earned_by"):
            lines.append(f"{m['earned_by']}을(를) 올바르게 분리배출하면 만날 수 있어요.")
    lines.append(f"지금 모은 캐릭터: {', '.join(c.get('owned') or ['이코'])}")
    return lines


def _search(c: Mapping[str, Any]) -> list[str]:
    lines = ["### 최근 소식"]
    if c.get("summary"):
        lines.append(str(c["summary"]))
    for r in c.get("results") or []:
        snippet = f": {r['snippet']}" if r.get("snippet") else ""
        lines.append(f"- [{r['title']}]({r['url']}){snippet}")
    return lines


def _picture(c: Mapping[str, Any]) -> list[str]:
    return [
        "### 이코가 그린 그림",
        f"![{c.get('caption') or '이코가 그린 그림'}]({c['image_url']})",
    ]


SECTIONS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "waste_rag": _waste,
    "collection_point": lambda c: _places(
        "가까운 수거함", c.get("points") or [], c.get("radius_m")
    ),
    "location": lambda c: _places(
        "주변 제로웨이스트 가게", c.get("places") or [], c.get("radius_m")
    ),
    "bulk_waste": _bulk,
    "recyclable_price": _prices,
    "weather": _weather,
    "character": _character,
    "web_search": _search,
    "image_generation": _picture,
}


def compose(
    message: str, contexts: Mapping[str, Any], missing: list[str], located: bool = False
) -> str:
    parts: list[str] = []
    for node, render in SECTIONS.items():
        if contexts.get(node):
            parts.append("\n".join(render(contexts[node])))
    said = {**MISSING, **UNAVAILABLE} if located else MISSING
    notes = [said[n] for n in missing if n in said]
    if (contexts.get("fallbacks") or {}).get("waste_rag") == "general":
        notes.append("지식베이스에서 찾지 못한 품목이에요. 품목 이름을 조금 더 자세히 알려 주세요.")
    if not parts and not notes:
        topics = "분리배출, 수거함, 대형폐기물, 날씨"
        return f"{GREETING} {topics}가 궁금하면 물어봐 주세요."
    body = "\n\n".join(parts)
    return "\n\n".join(p for p in (body, " ".join(notes)) if p)
