"""Local fakes of Kakao Local, KMA 단기예보 and the MOIS waste APIs, on their real wire formats.

Each is a real HTTP server on 127.0.0.1 (`tests.support.loopback.serve`), so the adapters run
their whole httpx path. Like the real services: Kakao checks `Authorization: KakaoAK <key>`,
answers `{"meta", "documents"}` with `x`/`y`/`distance` as strings, and `{"errorType",
"message"}` on a 4xx; the data.go.kr ones check `serviceKey`, answer `{"response": {"header",
"body"}}` with string values (MOIS: `items` a bare array, `totalCount` a string) and refuse a
bad key with the gateway's XML. `fake.script(...)` queues raw answers for the next requests;
`fake.seen` keeps every request's query.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.loopback import serve

KAKAO_KEY = "test-kakao-key"
DATA_KEY = "test-data-go-kr-key"
XML_REFUSAL = (
    "<OpenAPI_ServiceResponse><cmmMsgHeader><errMsg>SERVICE ERROR</errMsg>"
    "<returnAuthMsg>{msg}</returnAuthMsg><returnReasonCode>{code}</returnReasonCode>"
    "</cmmMsgHeader></OpenAPI_ServiceResponse>"
)


@dataclass(frozen=True)
class Raw:
    """One scripted answer, served as is (after `delay_s`)."""

    status: int = 200
    body: Any = None  # JSON-able, or a str sent verbatim
    delay_s: float = 0.0
    content_type: str = "application/json;charset=UTF-8"


@dataclass
class Fake:
    seen: list[dict[str, str]] = field(default_factory=list)
    _script: deque[Raw] = field(default_factory=deque)

    def script(self, *answers: Raw) -> None:
        self._script.extend(answers)

    async def _scripted(self) -> Response | None:
        if not self._script:
            return None
        raw = self._script.popleft()
        if raw.delay_s:
            await asyncio.sleep(raw.delay_s)  # simulates a slow provider (timeouts)
        if isinstance(raw.body, str):
            return Response(raw.body, raw.status, media_type=raw.content_type)
        return JSONResponse(raw.body, raw.status)

    def routes(self) -> list[Route]:
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        async with serve(Starlette(routes=self.routes())) as url:
            yield url


def kakao_doc(pid: str, name: str, lat: float, lon: float, **extra: str) -> dict[str, str]:
    return {
        "id": pid, "place_name": name, "category_name": extra.get("category", "가정,생활 > 리필샵"),
        "category_group_code": "", "category_group_name": "", "phone": extra.get("phone", ""),
        "address_name": extra.get("address", "서울 중구 태평로1가 31"),
        "road_address_name": extra.get("road", "서울 중구 세종대로 110"),
        "x": f"{lon}", "y": f"{lat}", "place_url": f"http://place.map.kakao.com/{pid}",
        "distance": extra.get("distance", ""),
    }  # fmt: skip


@dataclass
class FakeKakao(Fake):
    """Answers every keyword/category search with `documents` unless scripted."""

    documents: list[dict[str, str]] = field(default_factory=list)

    async def search(self, request: Request) -> Response:
        self.seen.append(dict(request.query_params))
        if request.headers.get("authorization") != f"KakaoAK {KAKAO_KEY}":
            body = {"errorType": "AccessDeniedError", "message": "cannot find appkey"}
            return JSONResponse(body, 401)
        scripted = await self._scripted()
        if scripted is not None:
            return scripted
        size = int(request.query_params.get("size", "15"))
        docs = self.documents[:size]
        meta = {"total_count": len(docs), "pageable_count": len(docs), "is_end": True}
        return JSONResponse({"meta": meta, "documents": docs})

    def routes(self) -> list[Route]:
        return [
            Route("/v2/local/search/keyword.json", self.search),
            Route("/v2/local/search/category.json", self.search),
        ]


def data_go_kr(items: Any, code: str = "00", msg: str = "NORMAL_SERVICE") -> dict[str, Any]:
    body = {"dataType": "JSON", "items": items, "pageNo": 1, "numOfRows": 1000}
    return {"response": {"header": {"resultCode": code, "resultMsg": msg}, "body": body}}


@dataclass
class FakeKma(Fake):
    """Observations for any (base, nx, ny) not in `missing` (those answer 03 NO_DATA)."""

    missing: set[tuple[str, str]] = field(default_factory=set)  # (base_date, base_time)

    def _refused(self, request: Request) -> Response | None:
        if request.query_params.get("serviceKey") != DATA_KEY:
            xml = XML_REFUSAL.format(msg="SERVICE_KEY_IS_NOT_REGISTERED_ERROR", code="30")
            return Response(xml, 200, media_type="text/xml;charset=UTF-8")
        return None

    async def ncst(self, request: Request) -> Response:
        q = dict(request.query_params)
        self.seen.append(q)
        refused = self._refused(request) or await self._scripted()
        if refused is not None:
            return refused
        if (q["base_date"], q["base_time"]) in self.missing:
            return JSONResponse(data_go_kr("", "03", "NO_DATA"))
        common = {"baseDate": q["base_date"], "baseTime": q["base_time"],
                  "nx": int(q["nx"]), "ny": int(q["ny"])}  # fmt: skip
        values = {"T1H": "3.4", "RN1": "0", "REH": "55", "PTY": "0", "WSD": "1.9"}
        items = [{**common, "category": k, "obsrValue": v} for k, v in values.items()]
        return JSONResponse(data_go_kr({"item": items}))

    async def fcst(self, request: Request) -> Response:
        q = dict(request.query_params)
        self.seen.append(q)
        refused = self._refused(request) or await self._scripted()
        if refused is not None:
            return refused
        if (q["base_date"], q["base_time"]) in self.missing:
            return JSONResponse(data_go_kr("", "03", "NO_DATA"))
        items = [
            {"baseDate": q["base_date"], "baseTime": q["base_time"], "category": cat,
             "fcstDate": q["base_date"], "fcstTime": t, "fcstValue": v,
             "nx": int(q["nx"]), "ny": int(q["ny"])}
            for t in ("1500", "1600")
            for cat, v in (("TMP", "4"), ("POP", "60"), ("PTY", "1"), ("SKY", "4"))
        ]  # fmt: skip
        return JSONResponse(data_go_kr({"item": items}))

    def routes(self) -> list[Route]:
        return [Route("/getUltraSrtNcst", self.ncst), Route("/getVilageFcst", self.fcst)]


@dataclass
class FakeMois(Fake):
    """Serves `collection_rows` and `fee_rows` as bare arrays, `page_rows` per page, ignoring
    the district filter (as a careless provider might: the adapter must filter)."""

    collection_rows: list[dict[str, str]] = field(default_factory=list)
    fee_rows: list[dict[str, str]] = field(default_factory=list)

    def _page(self, rows: list[dict[str, str]]) -> Callable[[Request], Any]:
        async def answer(request: Request) -> Response:
            q = dict(request.query_params)
            self.seen.append(q)
            if q.get("serviceKey") != DATA_KEY:
                xml = XML_REFUSAL.format(msg="SERVICE_KEY_IS_NOT_REGISTERED_ERROR", code="30")
                return Response(xml, 200, media_type="text/xml")
            scripted = await self._scripted()
            if scripted is not None:
                return scripted
            page, size = int(q.get("pageNo", "1")), int(q.get("numOfRows", "10"))
            chunk = rows[(page - 1) * size : page * size]
            body = data_go_kr(chunk)
            body["response"]["body"].update(totalCount=str(len(rows)), pageNo=str(page),
                                            numOfRows=str(size))  # fmt: skip
            return JSONResponse(body)

        return answer

    def routes(self) -> list[Route]:
        return [
            Route("/household_waste_info/info", self._page(self.collection_rows)),
            Route("/bulky_waste_fee/info", self._page(self.fee_rows)),
        ]
