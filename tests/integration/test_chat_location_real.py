"""Real mode: the chat's sources as the composition root builds them answer a turn about
nearby collection points from the sites stored in PostGIS (no sample is loaded there: the
one site this test stores is the only one the answer can name)."""

from __future__ import annotations

import pytest

from eventing.catalog import default_catalog
from functions.chat.agent import respond
from functions.kit.bootstrap import build_container
from functions.kit.registry import collect
from functions.kit.settings import Settings
from functions.location.model import NewSite
from functions.location.postgres_sites import PostgresSiteRepository
from tests.support.chat import SEOUL, rig, stages, stream_of, submit

pytestmark = pytest.mark.integration
BOX = NewSite(
    source="keco",
    source_id="chat-it-0001",
    name="통합시험 구청 폐건전지 수거함",
    latitude=37.5671,
    longitude=126.9786,
    store_category="public_dropbox",
    pickup_categories=("electronics",),
    road_address="서울특별시 중구 세종대로 1",
    collection_items="폐건전지,폐형광등",
)
FAR = NewSite(
    source="keco",
    source_id="chat-it-0002",
    name="통합시험 부산 수거함",
    latitude=35.1796,
    longitude=129.0756,
    store_category="public_dropbox",
    pickup_categories=("electronics",),
    road_address="부산광역시 연제구 중앙대로 1001",
    collection_items="폐건전지",
)


async def test_a_turn_about_nearby_bins_answers_from_postgis(pg_dsn: str) -> None:
    settings = Settings(mode="real", pg_dsn=pg_dsn, kakao_rest_api_key=None,
                        data_go_kr_key=None, character_grpc_addr=None)  # fmt: skip
    container = build_container(settings, collect(["functions.chat.functions"], default_catalog()))
    try:
        sites = await container.get("location_sites")
        assert isinstance(sites, PostgresSiteRepository)
        await sites.upsert([BOX, FAR])
        r = rig(await container.get("chat_sources"))
        data = await submit(r, "폐건전지 수거함 어디 있어?", location=SEOUL)
        answered = await respond(data, r.bus, r.repo, r.agent)
    finally:
        await container.close()
    assert answered is not None and answered.intents == ["collection_point"]
    assert ("collection_point", "completed") in stages(await stream_of(r.bus, data.job_id))
    stored = await r.repo.message(answered.assistant_message_id)
    assert stored is not None
    assert "**통합시험 구청 폐건전지 수거함** (" in stored.content
    assert "서울특별시 중구 세종대로 1 · 폐건전지, 폐형광등" in stored.content
    assert "부산" not in stored.content and "서소문청사" not in stored.content  # PostGIS only
