"""The operator identity as routes see it: only the edge-injected `x-operator` header."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from functions.kit import http
from functions.kit.identity import OPERATOR_HEADER, CurrentOperator


def _app(path: str = "/admin/thing") -> FastAPI:
    app = FastAPI()
    http.install(app)

    @app.post(path)
    async def thing(operator: CurrentOperator) -> dict[str, str]:
        return {"operator": operator}

    return app


async def _post(headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/admin/thing", headers=headers)


async def test_operator_header_names_the_caller() -> None:
    response = await _post({OPERATOR_HEADER: "operator:alice"})
    assert response.status_code == 200
    assert response.json() == {"operator": "operator:alice"}


async def test_missing_or_blank_operator_is_401_operator_required() -> None:
    for headers in ({}, {OPERATOR_HEADER: ""}, {OPERATOR_HEADER: "   "}):
        response = await _post(headers)
        assert response.status_code == 401
        body = response.json()
        assert body["code"] == "OPERATOR_REQUIRED" and body["detail"]


async def test_a_user_identity_is_not_an_operator_identity() -> None:
    response = await _post({"x-user-id": "operator:alice", "x-auth-provider": "operator"})
    assert response.status_code == 401 and response.json()["code"] == "OPERATOR_REQUIRED"


def test_identity_headers_are_not_documented_as_client_headers() -> None:
    # On a documented path: the kit's document leaves the internal ones out altogether.
    operation = _app("/api/v1/thing").openapi()["paths"]["/api/v1/thing"]["post"]
    assert not [p for p in operation.get("parameters", []) if p["in"] == "header"]
