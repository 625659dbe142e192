"""The places use cases on the in-memory adapter with the shipped sample."""

from __future__ import annotations

import pytest

from functions.location import services
from functions.location.api import Entry, entry
from functions.location.hours import now_in_seoul
from functions.location.loaders.importer import import_sample
from functions.location.memory_sites import MemorySiteRepository
from functions.location.model import SiteNotFoundError
from functions.location.public.offline import OfflinePlaceSearch


@pytest.fixture
async def repo() -> MemorySiteRepository:
    found = MemorySiteRepository()
    await import_sample(found)
    return found


async def test_collection_points_are_public_boxes_for_batteries_lamps_or_clothes(
    repo: MemorySiteRepository,
) -> None:
    found = await services.collection_points(repo, 37.5665, 126.9780, radius_m=1_000)
    assert found and len(found) <= 10
    assert {f.site.data.store_category for f in found} == {"public_dropbox"}
    kinds = {p for f in found for p in f.site.data.pickup_categories}
    assert kinds <= {"electronics", "textile"} and kinds == {"electronics", "textile"}


async def test_detail_of_an_unknown_id_is_not_found(repo: MemorySiteRepository) -> None:
    with pytest.raises(SiteNotFoundError):
        await services.detail(repo, 999_999)


async def test_offline_search_ranks_name_matches_then_adds_neighbours(
    repo: MemorySiteRepository,
) -> None:
    found = await services.search(repo, OfflinePlaceSearch(), "초록 카페", 5_000)
    assert found[0].site.data.name == "초록 카페 시청점" and found[0].distance_m == 0
    assert len(found) > 1 and all(f.distance_m <= 5_000 for f in found[1:])
    ids = [f.site.id for f in found]
    assert len(ids) == len(set(ids))


async def test_an_entry_has_exactly_the_documented_fields(repo: MemorySiteRepository) -> None:
    (found,) = await services.collection_points(repo, 37.5665, 126.9780, 500, limit=1)
    built = entry(found, now_in_seoul())
    assert set(built) == set(Entry.model_fields)
    assert Entry.model_validate(built).model_dump() == built
