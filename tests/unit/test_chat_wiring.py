"""The chat's sources as the composition root builds them: the location domain's adapters by
mode and keys (the keyed clients against loopback wire fakes of Kakao, KMA and MOIS), the
character directory by `ECO2_CHARACTER_GRPC_ADDR`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from eventing.catalog import default_catalog
from functions.chat.character_grpc import GrpcCharacterDirectory
from functions.chat.character_local import LocalCharacterDirectory
from functions.kit.bootstrap import build_container
from functions.kit.container import Container
from functions.kit.registry import collect
from functions.kit.settings import Settings
from functions.location.memory_sites import MemorySiteRepository
from tests.support.public_data_fakes import (
    DATA_KEY,
    KAKAO_KEY,
    FakeKakao,
    FakeKma,
    FakeMois,
    kakao_doc,
)

CITY_HALL = (37.5665, 126.978)
NO_KEYS: dict[str, Any] = {"kakao_rest_api_key": None, "data_go_kr_key": None,
                           "character_grpc_addr": None}  # fmt: skip


@pytest.fixture
async def built(request: pytest.FixtureRequest) -> AsyncIterator[Container]:
    changes: dict[str, Any] = getattr(request, "param", {})
    settings = Settings(mode="embedded", **{**NO_KEYS, **changes})
    container = build_container(settings, collect(["functions.chat.functions"], default_catalog()))
    try:
        yield container
    finally:
        await container.close()


async def test_embedded_without_keys_answers_from_the_sample_map(built: Container) -> None:
    assert isinstance(await built.get("location_sites"), MemorySiteRepository)
    assert isinstance(await built.get("chat_character_directory"), LocalCharacterDirectory)
    sources = await built.get("chat_sources")
    points = await sources.collection_points.near(*CITY_HALL, "폐건전지")
    assert points["points"][0]["name"].startswith("서울시청 서소문청사")
    weather = await sources.weather.now(*CITY_HALL)
    assert weather["available"] is False
    rules = await sources.bulk_waste.fees("중구 장롱", None, None)
    assert rules["district"] == "서울특별시 중구" and rules["sample"] is True


@pytest.mark.parametrize("built", [{"character_grpc_addr": "127.0.0.1:1"}], indirect=True)
async def test_a_grpc_address_selects_the_grpc_directory(built: Container) -> None:
    assert isinstance(await built.get("chat_character_directory"), GrpcCharacterDirectory)


async def test_with_keys_the_sub_agents_ask_the_real_clients() -> None:
    kakao = FakeKakao(documents=[kakao_doc("77", "카카오 리필샵", 37.5667, 126.9781,
                                           distance="25")])  # fmt: skip
    fee = {"CTPV_NM": "서울특별시", "SGG_NM": "중구", "LRG_WST_NM": "장롱", "FEE_AMT": "17,000",
           "LRG_WST_CTGRY_NM": "가구류", "LRG_WST_STNDRD": "모든 규격"}  # fmt: skip
    mois, kma = FakeMois(fee_rows=[fee]), FakeKma()
    async with kakao.running() as k, kma.running() as w, mois.running() as m:
        keys = {"kakao_rest_api_key": KAKAO_KEY, "kakao_local_base": k,
                "data_go_kr_key": DATA_KEY, "kma_base": w, "mois_base": m}  # fmt: skip
        settings = Settings(mode="embedded", **{**NO_KEYS, **keys})
        registry = collect(["functions.chat.functions"], default_catalog())
        container = build_container(settings, registry)
        try:
            sources = await container.get("chat_sources")
            places = await sources.places.near(*CITY_HALL, "제로웨이스트 가게")
            weather = await sources.weather.now(*CITY_HALL)
            rules = await sources.bulk_waste.fees("중구 장롱 버리려면?", None, None)
        finally:
            await container.close()
    assert places["source"] == "sites+kakao" and places["places"][0]["name"] == "카카오 리필샵"
    assert (weather["available"], weather["temperature_c"]) == (True, 3.4)
    assert rules["fees"] == [{"item": "장롱", "size": "모든 규격", "fee_won": 17_000}]
    assert rules["sample"] is False and kakao.seen and kma.seen and mois.seen
