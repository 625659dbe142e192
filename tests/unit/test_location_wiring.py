"""The places domain's adapters, chosen from settings through the container (no network)."""

from __future__ import annotations

from eventing.catalog import default_catalog
from functions.kit.bootstrap import build_container
from functions.kit.registry import collect
from functions.kit.settings import Settings
from functions.location.memory_sites import MemorySiteRepository
from functions.location.public.kakao import KakaoLocal
from functions.location.public.kma import KmaWeather
from functions.location.public.mois import MoisWasteRules
from functions.location.public.offline import OfflinePlaceSearch, OfflineWasteRules, OfflineWeather
from functions.location.public.prices import FilePrices

MODULE = "functions.location.functions"


def settings(**changes: object) -> Settings:
    """Embedded settings that ignore any ECO2_* key of the environment running the tests."""
    values = {"mode": "embedded", "kakao_rest_api_key": None, "data_go_kr_key": None, **changes}
    return Settings(**values)  # type: ignore[arg-type]


async def test_without_keys_the_embedded_default_is_offline_with_the_sample_map() -> None:
    registry = collect([MODULE], default_catalog())
    assert [fn.name for fn in registry] == ["location-api"]
    container = build_container(settings(), registry)
    try:
        sites = await container.get("location_sites")
        assert isinstance(sites, MemorySiteRepository) and await sites.count() == 30
        assert isinstance(await container.get("location_place_search"), OfflinePlaceSearch)
        assert isinstance(await container.get("location_weather"), OfflineWeather)
        assert isinstance(await container.get("location_waste_rules"), OfflineWasteRules)
        assert isinstance(await container.get("location_recyclable_prices"), FilePrices)
    finally:
        await container.close()


async def test_with_keys_the_real_clients_share_one_http_client() -> None:
    registry = collect([MODULE], default_catalog())
    container = build_container(settings(kakao_rest_api_key="k", data_go_kr_key="d"), registry)
    try:
        assert isinstance(await container.get("location_place_search"), KakaoLocal)
        assert isinstance(await container.get("location_weather"), KmaWeather)
        assert isinstance(await container.get("location_waste_rules"), MoisWasteRules)
        assert "public_data_http" in container
    finally:
        await container.close()
