"""The scan acceptance flow through the real edge, embedded and real mode: dev login, signed
upload, submit with a hint, the SSE stream through all five stages, the rendered result, the
reward in the user's characters — and every bad request answered with its 4xx, changing
nothing."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import httpx

from functions.scan import cli
from functions.scan.cli import events
from functions.scan.memory_repository import MemoryScanRepository
from tests.e2e.conftest import RunningMesh, login
from tests.support.photos import png_1x1

STAGES = ("queued", "vision", "rule", "answer", "reward")
EXPECTED = [("queued", "completed")] + [
    (stage, status) for stage in STAGES[1:] for status in ("started", "completed")
] + [("done", "completed")]  # fmt: skip


async def upload(http: httpx.AsyncClient, data: bytes | None = None) -> str:
    signed = await http.post(
        "/api/v1/images/scan", json={"filename": "item.png", "content_type": "image/png"}
    )
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert set(body) >= {"key", "upload_url", "cdn_url", "expires_in", "required_headers"}
    async with httpx.AsyncClient() as bare:  # no cookies: the signed URL is the authorization
        headers = {"Content-Type": "image/png", **body["required_headers"]}
        put = await bare.put(body["upload_url"], content=data or png_1x1(), headers=headers)
    assert put.is_success, put.text
    return str(body["cdn_url"])


async def follow(http: httpx.AsyncClient, stream_url: str) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []
    async with asyncio.timeout(30):
        async for name, data in events(http, stream_url):
            if name in ("keepalive", "token"):
                continue
            seen.append((name, data))
            if name == "done":
                break
    return seen


async def test_a_scan_with_a_hint_goes_through_every_stage(running_mesh: RunningMesh) -> None:
    async with httpx.AsyncClient(base_url=running_mesh.url, timeout=30) as http:
        await login(http, "scanner")
        image_url = await upload(http)
        body = {"image_url": image_url, "user_input": "다 마신 우유팩이에요"}
        submitted = await http.post("/api/v1/scan", json=body, headers={"X-Idempotency-Key": "k1"})
        assert submitted.status_code == 202, submitted.text
        job = submitted.json()
        job_id = job["job_id"]
        base = f"/api/v1/scan/{job_id}"
        assert job == {"job_id": job_id, "stream_url": f"{base}/events",
                       "result_url": f"{base}/result", "status": "queued"}  # fmt: skip
        seen = await follow(http, job["stream_url"])
        assert [(name, data["status"]) for name, data in seen] == EXPECTED
        assert [data["seq"] for _, data in seen] == sorted(data["seq"] for _, data in seen)
        assert all({"job_id", "stage", "status", "seq", "ts"} <= set(d) for _, d in seen)
        assert seen[-1][1]["progress"] == 100
        result = await http.get(job["result_url"])
        assert result.status_code == 200
        check_result(result.json(), job_id)
        again = await http.post("/api/v1/scan", json=body, headers={"X-Idempotency-Key": "k1"})
        assert again.json()["job_id"] == job_id  # the same job for the same key
        await until_owned(http, "팩토리")
        categories = await http.get("/api/v1/scan/categories")
        assert categories.status_code == 200 and len(categories.json()) >= 8


def check_result(result: dict[str, Any], job_id: str) -> None:
    assert (result["task_id"], result["status"]) == (job_id, "completed") and result["message"]
    pipeline = result["pipeline_result"]
    found = pipeline["classification_result"]
    assert found["classification"] == {
        "major_category": "재활용폐기물",
        "middle_category": "종이팩",
        "minor_category": "우유팩",
    }
    assert isinstance(found["situation_tags"], list)
    assert pipeline["disposal_rules"] is not None
    answer = pipeline["final_answer"]
    steps = list(answer["disposal_steps"])
    assert steps and steps == [f"단계{i}" for i in range(1, len(steps) + 1)]
    assert answer["insufficiencies"] == [] and answer["user_answer"]
    assert result["reward"]["name"] == "팩토리"
    assert set(result["reward"]) >= {"name", "dialog", "match_reason", "type"}


async def until_owned(http: httpx.AsyncClient, name: str) -> None:
    for _ in range(100):  # the grant is a separate function, reached through the broker
        owned = (await http.get("/api/v1/users/me/characters")).json()
        if name in [c["name"] for c in owned]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} never granted: {owned}")


async def test_bad_requests_get_their_4xx_and_change_nothing(running_mesh: RunningMesh) -> None:
    async with (
        httpx.AsyncClient(base_url=running_mesh.url, timeout=30) as alice,
        httpx.AsyncClient(base_url=running_mesh.url, timeout=30) as mallory,
    ):
        await login(alice, "alice")
        await login(mallory, "mallory")
        image_url = await upload(alice)
        cases = [
            ({"image_url": "https://evil.example/x.png"}, 400, "FOREIGN_IMAGE_URL"),
            ({"image_url": image_url, "model": "gpt-unknown-9"}, 400, "UNKNOWN_MODEL"),
            ({"image_url": image_url.replace("/scan/", "/scan/../")}, 400, "FOREIGN_IMAGE_URL"),
            ({"user_input": "no url"}, 422, "VALIDATION_ERROR"),
        ]
        for body, status, code in cases:
            answer = await alice.post("/api/v1/scan", json=body)
            assert (answer.status_code, answer.json()["code"]) == (status, code), body
        stolen = await mallory.post("/api/v1/scan", json={"image_url": image_url})
        assert (stolen.status_code, stolen.json()["code"]) == (404, "IMAGE_NOT_FOUND")
        assert await stored_jobs(running_mesh) == 0  # nothing was created
        job = (await alice.post("/api/v1/scan", json={"image_url": image_url})).json()
        theirs = await mallory.get(job["result_url"])
        assert (theirs.status_code, theirs.json()["code"]) == (404, "SCAN_JOB_NOT_FOUND")
        assert (await mallory.get(job["stream_url"])).status_code == 404
        unknown = await alice.get("/api/v1/scan/00000000-0000-0000-0000-000000000000/result")
        assert unknown.status_code == 404
        await follow(alice, job["stream_url"])
        assert (await alice.get(job["result_url"])).status_code == 200


async def stored_jobs(running: RunningMesh) -> int:
    """How many scan jobs the mesh stores (its memory repository, or its PostgreSQL)."""
    runtime = running.mesh.runtime
    assert runtime is not None
    jobs = await runtime.container.get("scan_jobs")
    if isinstance(jobs, MemoryScanRepository):
        return len(jobs._jobs)
    pool = await runtime.container.pg_pool()
    return int(await pool.fetchval("SELECT count(*) FROM scan_jobs"))


async def test_oversized_and_non_image_uploads_are_refused(running_mesh: RunningMesh) -> None:
    async with httpx.AsyncClient(base_url=running_mesh.url, timeout=30) as http:
        await login(http, "uploader")
        refused = await http.post(
            "/api/v1/images/scan", json={"filename": "a.gif", "content_type": "image/gif"}
        )
        assert refused.status_code in (400, 415) and refused.json()["code"]
        body = {"filename": "a.png", "content_type": "image/png"}
        signed = (await http.post("/api/v1/images/scan", json=body)).json()
        max_bytes = running_mesh.mesh.settings.images_max_bytes
        async with httpx.AsyncClient() as bare:
            big = await bare.put(signed["upload_url"], content=b"\x89PNG" + b"\0" * max_bytes,
                                 headers={"Content-Type": "image/png"})  # fmt: skip
            assert big.status_code == 413
            text = await bare.put(signed["upload_url"], content=b"hello, not a png",
                                  headers={"Content-Type": "image/png"})  # fmt: skip
            assert text.status_code in (400, 415)
        submit = await http.post("/api/v1/scan", json={"image_url": signed["cdn_url"]})
        assert (submit.status_code, submit.json()["code"]) == (404, "IMAGE_NOT_FOUND")


async def test_the_scan_command_prints_the_answer(
    running_mesh: RunningMesh, tmp_path: Path
) -> None:
    photo = tmp_path / "bottle.png"
    photo.write_bytes(png_1x1())
    out = io.StringIO()
    result = await cli.scan(photo, "라벨 붙은 생수 페트병", None, running_mesh.url, out)
    cli.render(result, out)
    text = out.getvalue()
    assert "100% done completed" in text
    assert "분류: 재활용폐기물 > 무색페트병" in text
    assert "! 라벨" in text and "보상: 없음" in text  # the label is still on: no reward
