"""`/api/v1/locations/*` through the mesh, embedded and real: the contract to the letter."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from functions.kit.mesh import Mesh
from functions.kit.settings import Settings
from functions.location.loaders.importer import import_sample
from functions.location.ports import SiteRepository
from tests.support.public_data_fakes import KAKAO_KEY, FakeKakao, Raw, kakao_doc

BASE = "/api/v1/locations"
ENTRY = {"id", "name", "source", "road_address", "latitude", "longitude", "distance_km",
         "distance_text", "store_category", "pickup_categories", "is_holiday", "is_open",
         "start_time", "end_time", "phone", "place_url"}  # fmt: skip
DETAIL = {"id", "name", "source", "road_address", "lot_address", "latitude", "longitude",
          "store_category", "pickup_categories", "phone", "place_url", "kakao_place_id",
          "collection_items", "introduction"}  # fmt: skip
CITY_HALL = {"lat": 37.5665, "lon": 126.9780}
AS_USER = {"x-user-id": "6f1c1e62-3a55-4b55-9a57-1d6c2f0b4d11"}  # what the edge injects


async def started(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    from functions.kit.bootstrap import build_registry  # noqa: PLC0415

    mesh = Mesh(settings, build_registry(domains=["location"]))
    await mesh.start()
    assert mesh.runtime is not None
    repo: SiteRepository = await mesh.runtime.container.get("location_sites")
    await import_sample(repo)  # real mode starts empty; embedded already has it (no-op)
    try:
        transport = httpx.ASGITransport(app=mesh.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://mesh", headers=AS_USER
        ) as http:
            yield http
    finally:
        await mesh.close()


@pytest.fixture
async def client(either_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for http in started(either_settings):
        yield http


async def test_centers_nearest_first_with_the_contracts_fields(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/centers", params={**CITY_HALL, "zoom": 14})
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list) and body, "the sample puts sites around City Hall"
    assert all(set(e) == ENTRY for e in body)
    distances = [e["distance_km"] for e in body]
    assert distances == sorted(distances) and distances[-1] <= 0.83  # zoom 14: 830 m
    first = body[0]
    assert isinstance(first["id"], int) and isinstance(first["pickup_categories"], list)
    assert first["source"] in ("keco", "zerowaste", "kakao")
    assert first["distance_text"].endswith("m")
    wider = (await client.get(f"{BASE}/centers", params={**CITY_HALL, "zoom": 1})).json()
    assert len(wider) > len(body) and {e["id"] for e in body} <= {e["id"] for e in wider}
    radius = (await client.get(f"{BASE}/centers", params={**CITY_HALL, "zoom": 1,
                                                          "radius": 300})).json()  # fmt: skip
    assert all(e["distance_km"] <= 0.3 for e in radius)


async def test_the_map_is_behind_the_edge(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/centers", params=CITY_HALL, headers={"x-user-id": ""})
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHENTICATED"


async def test_category_filters(client: httpx.AsyncClient) -> None:
    params = {**CITY_HALL, "zoom": 1, "store_category": "public_dropbox"}
    boxes = (await client.get(f"{BASE}/centers", params=params)).json()
    assert boxes and {e["store_category"] for e in boxes} == {"public_dropbox"}
    params = {**CITY_HALL, "zoom": 1, "pickup_category": "textile, glass"}
    found = (await client.get(f"{BASE}/centers", params=params)).json()
    assert found and all({"textile", "glass"} & set(e["pickup_categories"]) for e in found)
    params = {**CITY_HALL, "zoom": 1, "store_category": "all", "pickup_category": "all"}
    everything = (await client.get(f"{BASE}/centers", params=params)).json()
    assert len(everything) >= len(boxes) + 1


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"lat": 91, "lon": 127}, 422, "VALIDATION_ERROR"),
        ({"lat": 37.5, "lon": -181}, 422, "VALIDATION_ERROR"),
        ({"lat": "nan", "lon": 127}, 422, "VALIDATION_ERROR"),
        ({"lat": 37.5}, 422, "VALIDATION_ERROR"),
        ({**CITY_HALL, "zoom": 0}, 422, "VALIDATION_ERROR"),
        ({**CITY_HALL, "zoom": 21}, 422, "VALIDATION_ERROR"),
        ({**CITY_HALL, "radius": 0}, 422, "VALIDATION_ERROR"),
        ({**CITY_HALL, "radius": 100_001}, 422, "VALIDATION_ERROR"),
        ({**CITY_HALL, "store_category": "casino"}, 422, "VALIDATION_ERROR"),
        ({**CITY_HALL, "pickup_category": "can,uranium"}, 422, "VALIDATION_ERROR"),
        ({**CITY_HALL, "pickup_category": "can,,glass"}, 422, "VALIDATION_ERROR"),
    ],
)
async def test_out_of_range_and_unknown_categories_are_4xx_in_the_error_format(
    client: httpx.AsyncClient, params: dict[str, object], status: int, code: str
) -> None:
    response = await client.get(f"{BASE}/centers", params=params)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail", "code"} and body["code"] == code and body["detail"]


async def test_detail_and_404(client: httpx.AsyncClient) -> None:
    (first, *_) = (await client.get(f"{BASE}/centers", params=CITY_HALL)).json()
    response = await client.get(f"{BASE}/centers/{first['id']}")
    assert response.status_code == 200
    detail = response.json()
    assert set(detail) == DETAIL and detail["id"] == first["id"]
    assert detail["pickup_categories"] == first["pickup_categories"]
    for missing in (10**9, 2**63 - 1):
        gone = await client.get(f"{BASE}/centers/{missing}")
        assert gone.status_code == 404 and gone.json()["code"] == "NOT_FOUND"
    for bad in ("abc", "0", str(2**63)):
        assert (await client.get(f"{BASE}/centers/{bad}")).status_code == 422


async def test_search_and_suggest_without_a_kakao_key_use_our_table(
    client: httpx.AsyncClient,
) -> None:
    found = (await client.get(f"{BASE}/search", params={"q": "주민센터"})).json()
    assert found and all(set(e) == ENTRY for e in found)
    assert "주민센터" in found[0]["name"] and found[0]["distance_km"] == 0
    by_address = (await client.get(f"{BASE}/search", params={"q": "해운대구"})).json()
    assert by_address and all(e["latitude"] < 36 for e in by_address)  # Busan, not Seoul
    suggestions = (await client.get(f"{BASE}/suggest", params={"q": "리필"})).json()
    assert suggestions and all(
        set(s) == {"place_name", "address", "latitude", "longitude", "place_url"}
        for s in suggestions
    )
    assert all("리필" in s["place_name"] or "리필" in s["address"] for s in suggestions)
    assert (await client.get(f"{BASE}/search", params={"q": "없는곳이름"})).json() == []
    assert (await client.get(f"{BASE}/search", params={"q": ""})).status_code == 422


async def test_search_with_kakao_merges_its_hits_with_our_sites(
    embedded_settings: Settings,
) -> None:
    fake = FakeKakao(documents=[
        kakao_doc("9001", "서울시청", 37.5663, 126.9779, category="공공기관"),
        kakao_doc("9002", "초록 카페 시청점", 37.5660, 126.9765, category="음식점 > 카페"),
    ])  # fmt: skip
    async with fake.running() as url:
        settings = replace_settings(embedded_settings, kakao_rest_api_key=KAKAO_KEY,
                                    kakao_local_base=url)  # fmt: skip
        async for http in started(settings):
            found = (await http.get(f"{BASE}/search", params={"q": "서울시청"})).json()
            names = [e["name"] for e in found]
            assert names[0] == "서울시청" and found[0]["source"] == "kakao"
            assert names.count("초록 카페 시청점") == 1  # ours and Kakao's: one place
            assert any(e["source"] == "keco" for e in found)  # our boxes around the first hit
            hit = await http.get(f"{BASE}/centers/{found[0]['id']}")
            assert hit.json()["kakao_place_id"] == "9001"
            suggestions = (await http.get(f"{BASE}/suggest", params={"q": "시청"})).json()
            assert suggestions[0]["place_url"] == "http://place.map.kakao.com/9001"
            fake.script(*[Raw(500, {})] * 3)  # Kakao failing: our own table answers
            fallback = (await http.get(f"{BASE}/search", params={"q": "주민센터"})).json()
            assert fallback and "주민센터" in fallback[0]["name"]


def replace_settings(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)
