"""Kakao Local (keyword and category search) over httpx.

`GET /v2/local/search/keyword.json` and `/category.json` with `Authorization: KakaoAK {key}`.
Kakao sends coordinates and distances as STRINGS (`"x": "127.0276"` is the longitude, `"y"`
the latitude, `"distance": "418"` metres, empty without a centre); a document whose strings do
not parse makes the whole answer malformed rather than a pin in the sea. Errors come as
`{"errorType", "message"}` (or `{"code": -401, "msg"}`) with a 4xx.
"""

from __future__ import annotations

from typing import Any

import httpx

from functions.location.ports import KakaoPlace
from functions.location.public.errors import MalformedResponseError
from functions.location.public.resilient import Source, json_of, refused

PROVIDER = "kakao"
MAX_RADIUS_M = 20_000  # Kakao's limit
MAX_SIZE = 15


def _place(doc: Any) -> KakaoPlace:
    if not isinstance(doc, dict):
        raise ValueError("document is not an object")
    distance = doc.get("distance") or ""
    return KakaoPlace(
        id=str(doc["id"]),
        name=str(doc["place_name"]),
        latitude=float(doc["y"]),
        longitude=float(doc["x"]),
        address=str(doc.get("address_name") or ""),
        road_address=str(doc.get("road_address_name") or ""),
        phone=str(doc.get("phone") or ""),
        place_url=str(doc.get("place_url") or ""),
        category_name=str(doc.get("category_name") or ""),
        category_group_code=str(doc.get("category_group_code") or ""),
        distance_m=float(distance) if distance != "" else None,
    )


def parse_places(response: httpx.Response) -> list[KakaoPlace]:
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        code = body.get("errorType") or body.get("code")
        message = body.get("message") or body.get("msg") or response.text[:200]
        refused(PROVIDER, response, None if code is None else str(code), str(message))
    body = json_of(PROVIDER, response)
    documents = body.get("documents") if isinstance(body, dict) else None
    if not isinstance(documents, list):
        raise MalformedResponseError(PROVIDER, "no documents list")
    try:
        return [_place(d) for d in documents]
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponseError(PROVIDER, f"bad document: {exc!r}") from exc


class KakaoLocal:
    """The real adapter (`settings.kakao_rest_api_key` set)."""

    available = True

    def __init__(self, source: Source, api_key: str, base_url: str) -> None:
        self._source = source
        self._headers = {"Authorization": f"KakaoAK {api_key}"}
        self._base = base_url.rstrip("/")

    async def _search(self, path: str, params: dict[str, Any]) -> list[KakaoPlace]:
        key = (path, tuple(sorted(params.items())))
        return await self._source.get(
            f"{self._base}{path}", parse_places, params=params, headers=self._headers,
            cache_key=key,
        )  # fmt: skip

    async def keyword(
        self,
        query: str,
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        radius_m: int | None = None,
        size: int = MAX_SIZE,
    ) -> list[KakaoPlace]:
        params: dict[str, Any] = {"query": query, "size": max(1, min(size, MAX_SIZE))}
        if latitude is not None and longitude is not None:
            params.update(x=f"{longitude:.6f}", y=f"{latitude:.6f}", sort="distance")
            if radius_m is not None:
                params["radius"] = max(0, min(radius_m, MAX_RADIUS_M))
        return await self._search("/v2/local/search/keyword.json", params)

    async def category(
        self, code: str, *, latitude: float, longitude: float, radius_m: int, size: int = MAX_SIZE
    ) -> list[KakaoPlace]:
        params = {
            "category_group_code": code,
            "x": f"{longitude:.6f}",
            "y": f"{latitude:.6f}",
            "radius": max(0, min(radius_m, MAX_RADIUS_M)),
            "size": max(1, min(size, MAX_SIZE)),
            "sort": "distance",
        }
        return await self._search("/v2/local/search/category.json", params)
