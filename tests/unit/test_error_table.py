"""The one error table (functions/kit/errors.py) answers for every eventing error, and agrees
with the disposition each eventing error states for brokers that run without the kit."""

from __future__ import annotations

import importlib
import pkgutil

import eventing
from eventing.errors import EventingError
from functions.kit.errors import DEFAULT, classify, row_for


def _eventing_errors() -> list[type[EventingError]]:
    for module in pkgutil.walk_packages(eventing.__path__, "eventing."):
        importlib.import_module(module.name)
    found: list[type[EventingError]] = []
    todo: list[type[EventingError]] = [EventingError]
    while todo:
        kind = todo.pop()
        found.append(kind)
        todo.extend(kind.__subclasses__())
    return found


def test_every_eventing_error_has_a_row_that_agrees_with_its_disposition() -> None:
    kinds = _eventing_errors()
    assert len(kinds) > 10  # the walk found the package's errors, not just the base
    for kind in kinds:
        error = kind.__new__(kind)  # no constructor arguments needed to ask the table
        assert row_for(error) is not DEFAULT, kind
        assert classify(error) is kind.disposition, kind


def test_the_gateway_and_bus_errors_keep_their_contract_codes() -> None:
    from eventing.bus.entries import JobNotRegistered, JobOwnerConflict  # noqa: PLC0415
    from eventing.errors import BusUnavailableError  # noqa: PLC0415
    from eventing.sse.errors import (  # noqa: PLC0415
        GatewayDraining,
        StreamNotFound,
        StreamUnavailable,
    )

    codes = {
        kind.__name__: (row_for(kind("x")).status, row_for(kind("x")).code)
        for kind in (
            StreamNotFound, GatewayDraining, StreamUnavailable, BusUnavailableError,
            JobNotRegistered, JobOwnerConflict,
        )
    }  # fmt: skip
    assert codes == {
        "StreamNotFound": (404, "NOT_FOUND"),
        "GatewayDraining": (503, "UNAVAILABLE"),
        "StreamUnavailable": (503, "UNAVAILABLE"),
        "BusUnavailableError": (503, "EVENT_BUS_UNAVAILABLE"),
        "JobNotRegistered": (404, "NOT_FOUND"),
        "JobOwnerConflict": (409, "CONFLICT"),
    }
