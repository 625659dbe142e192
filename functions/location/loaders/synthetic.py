"""Synthetic sites for the benchmark: many, spread over Korea the way real ones are.

Most sites cluster around the big cities (a normal spread of ~10 km), the rest are scattered
over the peninsula's box; categories follow the real mix (mostly drop boxes). Deterministic
for a seed, so two runs measure the same table.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from functions.location.model import PICKUP_CATEGORIES, STORE_CATEGORIES, Hours, NewSite

# (latitude, longitude, weight): Seoul, Busan, Incheon, Daegu, Daejeon, Gwangju, Ulsan, Suwon,
# Jeju
CITIES = (
    (37.5665, 126.9780, 30), (35.1796, 129.0756, 10), (37.4563, 126.7052, 8),
    (35.8714, 128.6014, 7), (36.3504, 127.3845, 5), (35.1595, 126.8526, 5),
    (35.5384, 129.3114, 3), (37.2636, 127.0286, 8), (33.4996, 126.5312, 2),
)  # fmt: skip
LAT_BOX = (34.6, 38.3)
LON_BOX = (126.2, 129.4)
SCATTERED = 0.2
OFFICE = Hours(days={d: ("09:00", "18:00") for d in range(5)})


def synthetic_sites(count: int, seed: int = 2026) -> Iterator[NewSite]:
    rng = random.Random(seed)
    weights = [w for _, _, w in CITIES]
    for n in range(count):
        if rng.random() < SCATTERED:
            lat, lon = rng.uniform(*LAT_BOX), rng.uniform(*LON_BOX)
        else:
            clat, clon, _ = rng.choices(CITIES, weights)[0]
            lat, lon = rng.gauss(clat, 0.09), rng.gauss(clon, 0.11)
        box = rng.random() < 0.7
        store = "public_dropbox" if box else rng.choice(STORE_CATEGORIES)
        pickups = tuple(sorted(rng.sample(PICKUP_CATEGORIES, rng.randint(1, 3)),
                               key=PICKUP_CATEGORIES.index))  # fmt: skip
        yield NewSite(
            source="keco" if box else "zerowaste",
            source_id=f"synthetic/{n}",
            name=f"합성 장소 {n}",
            latitude=round(lat, 6),
            longitude=round(lon, 6),
            store_category=store,
            pickup_categories=pickups,
            road_address=f"합성시 합성구 벤치로 {n}",
            hours=OFFICE if rng.random() < 0.5 else Hours(always=True),
        )
