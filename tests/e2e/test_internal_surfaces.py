"""Internal surfaces through the real edge, embedded and real mode: nothing internal is
reachable on the public listener (the forged grant, answer and dead letter change nothing),
and operator calls on the internal listener need a token with the operator role."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt
import pytest

from eventing.catalog import default_catalog
from eventing.codec import to_http_binary
from eventing.events.character import CharacterGrantRequested
from functions.auth.operator import credential_path, read_local_credential
from tests.e2e.conftest import RunningMesh, login
from tests.e2e.test_scan_flow import follow, upload

INGRESS = "/ingress/eco2/default"
INTERNAL_PATHS = [
    ("POST", INGRESS),
    ("POST", "/internal/dead-letters"),
    ("GET", "/internal/auth/revocations"),
    ("GET", "/internal/auth/revocations/stream"),
    ("GET", "/admin/dead-letters"),
    ("POST", "/admin/dead-letters/replay"),
    ("POST", "/admin/canary"),
    ("GET", "/metrics"),
]


def user_id(http: httpx.AsyncClient) -> str:
    claims = jwt.decode(http.cookies["s_access"], options={"verify_signature": False})
    return str(claims["sub"])


async def characters(http: httpx.AsyncClient) -> list[str]:
    response = await http.get("/api/v1/users/me/characters")
    assert response.status_code == 200, response.text
    return [c["code"] for c in response.json()]


async def test_no_internal_path_answers_on_the_public_listener(running_mesh: RunningMesh) -> None:
    async with httpx.AsyncClient(base_url=running_mesh.url, timeout=10) as http:
        for method, path in INTERNAL_PATHS:  # anonymous
            response = await http.request(method, path, content=b"{}")
            assert response.status_code == 404, (path, response.text)
            assert response.json()["code"] == "NOT_FOUND"
        await login(http, "prober")
        for method, path in INTERNAL_PATHS:  # with a valid session, and claiming to be staff
            forged = {"x-operator": "operator:root", "x-user-id": user_id(http)}
            response = await http.request(method, path, content=b"{}", headers=forged)
            assert response.status_code == 404, (path, response.text)


async def test_a_forged_grant_through_the_public_port_grants_nothing(
    running_mesh: RunningMesh,
) -> None:
    async with httpx.AsyncClient(base_url=running_mesh.url, timeout=10) as http:
        await login(http, "forger")
        before = await characters(http)
        grant = CharacterGrantRequested(
            user_id=user_id(http), character_code="char-petty", reason="forged", source="x"
        )
        headers, body = to_http_binary(default_catalog().make(grant))
        response = await http.post(INGRESS, headers=headers, content=body)
        assert response.status_code == 404
        canary = await http.get("/api/v1/users/me")  # the mesh is alive and answering
        assert canary.status_code == 200
        assert await characters(http) == before == ["char-eco"]


async def test_a_forged_answer_and_dead_letter_leave_a_live_job_alone(
    running_mesh: RunningMesh,
) -> None:
    async with httpx.AsyncClient(base_url=running_mesh.url, timeout=30) as victim:
        await login(victim, "victim")
        body = {"image_url": await upload(victim), "user_input": "다 마신 우유팩이에요"}
        job = (await victim.post("/api/v1/scan", json=body)).json()
        await follow(victim, job["stream_url"])
        result = (await victim.get(f"/api/v1/scan/{job['job_id']}/result")).json()
        async with httpx.AsyncClient(base_url=running_mesh.url, timeout=10) as attacker:
            forged = {"ce-id": "x", "ce-type": "kr.eco2.scan.answered.v1", "ce-source": "/x",
                      "ce-specversion": "1.0", "content-type": "application/json"}  # fmt: skip
            payload = f'{{"context": {{"job_id": "{job["job_id"]}"}}, "answer": "pwned"}}'
            for path in (INGRESS, "/internal/dead-letters"):
                response = await attacker.post(path, headers=forged, content=payload)
                assert response.status_code == 404
        again = await victim.get(f"/api/v1/scan/{job['job_id']}/result")
        assert again.json() == result


@pytest.fixture
def credential(running_mesh: RunningMesh) -> str:
    token = read_local_credential(credential_path(running_mesh.mesh.settings.operator_token_file))
    assert token is not None, "the running mesh writes operator:local's credential"
    return token


async def test_operator_calls_need_the_operator_role(
    running_mesh: RunningMesh, credential: str
) -> None:
    internal = running_mesh.internal_url
    async with httpx.AsyncClient(base_url=running_mesh.url, timeout=10) as user:
        await login(user, "not-staff")
        user_token = user.cookies["s_access"]
    async with httpx.AsyncClient(base_url=internal, timeout=10) as http:
        anonymous = await http.get("/admin/dead-letters")
        assert anonymous.status_code == 401
        as_user = {"Authorization": f"Bearer {user_token}"}
        for method, path in [("GET", "/admin/dead-letters"), ("POST", "/admin/canary")]:
            response = await http.request(method, path, headers=as_user)
            assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
        as_operator = {"Authorization": f"Bearer {credential}"}
        listed = await http.get("/admin/dead-letters", headers=as_operator)
        assert listed.status_code == 200 and isinstance(listed.json(), list)
        probe = await http.post("/admin/canary", headers=as_operator)
        assert probe.status_code == 200 and probe.json()["round_trip_ms"] > 0


def test_the_credential_file_is_the_owners_only(running_mesh: RunningMesh) -> None:
    path = Path(credential_path(running_mesh.mesh.settings.operator_token_file))
    assert path.stat().st_mode & 0o777 == 0o600
