"""Every deployed function starts on its own, as its manifest runs it: ECO2_FUNCTION and
ECO2_DOMAIN set, so only its domain (and what that domain REQUIRES) is loaded.

The whole mesh loads every domain and hides a missing REQUIRES line; a Knative Service does
not (auth-api once failed its startup because the users repository was not loaded).
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from functions.kit.bootstrap import build_registry
from functions.kit.declare import Function, Kind
from functions.kit.hosting import HostedEventFunction
from functions.kit.http_hosting import create_http_app
from functions.kit.settings import Settings

DEPLOYED = list(build_registry())


@pytest.mark.parametrize("fn", DEPLOYED, ids=lambda fn: fn.name)
async def test_the_function_builds_with_only_its_own_domain(fn: Function) -> None:
    settings = Settings(function=fn.name, domain=fn.domain, mode="embedded")
    if fn.kind is Kind.HTTP:
        app: FastAPI = create_http_app(settings)
        before = len(app.routes)
        async with app.router.lifespan_context(app):
            assert len(app.routes) > before  # its router was built and included
        return
    hosted = await HostedEventFunction.build(settings, fn)
    try:
        assert hosted.probe()[0] == 200
    finally:
        await hosted.container.close()
