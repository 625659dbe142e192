"""Prometheus metrics through the real edge, embedded and real mode: after one scan, the
internal listener's `/metrics` counts its deliveries per function, its handler latencies, its
LLM calls and its HTTP requests by route template; the public listener has no `/metrics`."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import RunningMesh, login
from tests.e2e.test_scan_flow import follow, upload

STAGES = ("scan-vision", "scan-rule", "scan-answer", "scan-reward")


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_one_scan_is_counted_on_the_internal_metrics_only(running_mesh: RunningMesh) -> None:
    async with httpx.AsyncClient(base_url=running_mesh.url, timeout=30) as http:
        await login(http, "counted")
        body = {"image_url": await upload(http), "user_input": "다 마신 우유팩이에요"}
        submitted = await http.post("/api/v1/scan", json=body)
        assert submitted.status_code == 202, submitted.text
        assert (await follow(http, submitted.json()["stream_url"]))[-1][0] == "done"
        public = await http.get("/metrics")
        assert public.status_code == 404 and public.json()["code"] == "NOT_FOUND"
    async with httpx.AsyncClient(base_url=running_mesh.internal_url, timeout=10) as internal:
        scraped = await internal.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    found = parse(scraped.text)
    # Each stage's delivery was decided before the next stage ran; the last one (scan-reward)
    # may still be returning when the client reads `done`, so it is not asserted.
    for stage in STAGES[:-1]:
        assert found[("eco2_handler_duration_seconds_count", frozenset({("function", stage)}))]
        key = ("eco2_deliveries_total", frozenset({("function", stage), ("outcome", "ack")}))
        assert found[key] >= 1
    post = frozenset({("route", "/api/v1/scan"), ("method", "POST"), ("status", "202")})
    assert found[("eco2_http_requests_total", post)] == 1
    assert any(name == "eco2_llm_calls_total" and value >= 1 for (name, _), value in found.items())
