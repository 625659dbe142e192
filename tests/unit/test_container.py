"""The composition root's container: dependencies by name, built once, closed in reverse."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from functions.kit.container import Container
from functions.kit.settings import Settings

BUILT: list[str] = []


async def make_clock(container: Container) -> dict[str, Any]:
    BUILT.append("clock")
    await asyncio.sleep(0.01)
    container.on_close(_closing("clock"))
    return {"now": 1}


async def make_repo(container: Container) -> str:
    BUILT.append("repo")
    clock = await container.get("clock")  # providers may depend on each other
    container.on_close(_closing("repo"))
    return f"repo@{clock['now']}"


def _closing(name: str) -> Any:
    async def close() -> None:
        BUILT.append(f"closed {name}")

    return close


PROVIDERS = {"clock": make_clock, "repo": make_repo}


async def handler(event: object, data: object, repo: str, settings: Settings) -> None:
    del event, data, repo, settings


async def test_providers_build_once_on_demand_and_close_in_reverse() -> None:
    BUILT.clear()
    container = Container(Settings(), {}, PROVIDERS)
    assert BUILT == []  # nothing is built before it is asked for
    first, second = await asyncio.gather(container.get("repo"), container.get("repo"))
    assert first == second == "repo@1"
    assert BUILT == ["repo", "clock"]
    kwargs = await container.kwargs_for(handler, "h")
    assert set(kwargs) == {"repo", "settings"}  # event and data come from the kit
    await container.close()
    assert BUILT[-2:] == ["closed repo", "closed clock"]


async def test_missing_dependency_fails_at_binding() -> None:
    container = Container(Settings(), {})
    with pytest.raises(LookupError, match=r"h: no dependency named \['repo'\]"):
        await container.kwargs_for(handler, "h")
    with pytest.raises(LookupError, match="no dependency named 'nope'"):
        await container.get("nope")
