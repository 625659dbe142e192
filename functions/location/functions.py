"""The places domain's functions and providers: the map's HTTP function, and the public-data
ports the chat agent asks the container for (weather, waste rules, prices, place search).
"""

from __future__ import annotations

from functions.kit.container import Provider
from functions.kit.declare import Function, Kind, Scaling
from functions.location import wiring

LOCATIONS_PATH = "/api/v1/locations"

FUNCTIONS = (
    Function(
        name="location-api",
        domain="location",
        kind=Kind.HTTP,
        handler="functions.location.api:router",
        route_prefix=LOCATIONS_PATH,
        scaling=Scaling(
            min_scale=0, max_scale=10, target_concurrency=100, container_concurrency=200
        ),
        description="GET /api/v1/locations/{centers,search,suggest,centers/{id}}: the map.",
    ),
)

PROVIDERS: dict[str, Provider] = {
    "location_sites": wiring.location_sites,
    "location_place_search": wiring.place_search,
    "location_weather": wiring.weather,
    "location_waste_rules": wiring.waste_rules,
    "location_recyclable_prices": wiring.recyclable_prices,
}
