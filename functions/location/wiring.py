"""The places domain's wiring: its adapters, by mode and by which keys are configured.

Sites: memory (loaded with the shipped sample) in the embedded mode, PostGIS in the real one.
Public data: the real httpx adapter when its key is set (Kakao: `ECO2_KAKAO_REST_API_KEY`;
KMA and MOIS: `ECO2_DATA_GO_KR_KEY`), else the offline one; every real adapter gets its own
`Source` (timeout, retries, cache TTL, breaker) on one shared httpx client.
"""

from __future__ import annotations

from typing import Any

from functions.kit.container import Container
from functions.location.ports import PlaceSearch, SiteRepository
from functions.location.public.ports import RecyclablePrices, WasteRules, Weather


async def location_sites(container: Container) -> SiteRepository:
    if container.settings.mode == "embedded":
        from functions.location.loaders.importer import import_sample  # noqa: PLC0415
        from functions.location.memory_sites import MemorySiteRepository  # noqa: PLC0415

        repo = MemorySiteRepository()
        await import_sample(repo)  # so the embedded map is not empty (sample data)
        return repo
    from functions.location.postgres_sites import PostgresSiteRepository  # noqa: PLC0415

    return PostgresSiteRepository(await container.pg_pool())


async def _source(container: Container, provider: str, ttl_s: float) -> Any:
    import httpx  # noqa: PLC0415

    from functions.location.public.resilient import Policy, Source  # noqa: PLC0415

    if "public_data_http" not in container:
        client = httpx.AsyncClient()
        container.on_close(client.aclose)
        container.provide("public_data_http", client)
    s = container.settings
    policy = Policy(
        timeout_s=s.public_data_timeout_s,
        retries=s.public_data_retries,
        cache_ttl_s=ttl_s,
        breaker_failures=s.public_data_breaker_failures,
        breaker_open_s=s.public_data_breaker_open_s,
    )
    return Source(provider, container.get_now("public_data_http"), policy)


async def place_search(container: Container) -> PlaceSearch:
    s = container.settings
    if not s.kakao_rest_api_key:
        from functions.location.public.offline import OfflinePlaceSearch  # noqa: PLC0415

        return OfflinePlaceSearch()
    from functions.location.public.kakao import KakaoLocal  # noqa: PLC0415

    source = await _source(container, "kakao", s.kakao_cache_ttl_s)
    return KakaoLocal(source, s.kakao_rest_api_key, s.kakao_local_base)


async def weather(container: Container) -> Weather:
    s = container.settings
    if not s.data_go_kr_key:
        from functions.location.public.offline import OfflineWeather  # noqa: PLC0415

        return OfflineWeather()
    from functions.location.public.kma import KmaWeather  # noqa: PLC0415

    source = await _source(container, "kma", s.kma_cache_ttl_s)
    return KmaWeather(source, s.data_go_kr_key, s.kma_base)


async def waste_rules(container: Container) -> WasteRules:
    s = container.settings
    if not s.data_go_kr_key:
        from functions.location.public.offline import OfflineWasteRules  # noqa: PLC0415

        return OfflineWasteRules()
    from functions.location.public.mois import MoisWasteRules  # noqa: PLC0415

    source = await _source(container, "mois", s.mois_cache_ttl_s)
    return MoisWasteRules(source, s.data_go_kr_key, s.mois_base)


async def recyclable_prices(container: Container) -> RecyclablePrices:
    del container  # the price sheet ships with the code
    from functions.location.public.prices import FilePrices  # noqa: PLC0415

    return FilePrices()
