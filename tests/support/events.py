"""Event types used only by tests, catalogued like real ones so the same rules apply."""

from __future__ import annotations

from eventing.catalog import Catalog, EventData, EventSpec, default_catalog


class Order(EventData):
    n: int
    key: str = ""
    fail_times: int = 0


class Relayed(EventData):
    n: int
    hops: int


def spec(name: str, model: type[EventData], source: str = "/tests") -> EventSpec:
    return EventSpec(
        type=f"kr.eco2.test.{name}.v1", source=source, data=model, version="v1", description=name
    )


ORDER = "kr.eco2.test.order.placed.v1"
RELAYED = "kr.eco2.test.order.relayed.v1"
TEST_SPECS = (spec("order.placed", Order), spec("order.relayed", Relayed, "/tests/relay"))


def make_test_catalog() -> Catalog:
    return default_catalog().extended(TEST_SPECS)
