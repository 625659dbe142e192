"""Prometheus metrics through the real edge, embedded and real mode: after one scan, the
internal listener's `/metrics` counts its deliveries per function, its handler latencies, its
LLM calls and its HTTP requests by route template; the public listener has no `/metrics`."""

from __future__ import annotations

import asyncio

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
        found = await scrape_until_counted(internal)
    post = frozenset({("route", "/api/v1/scan"), ("method", "POST"), ("status", "202")})
    assert found[("eco2_http_requests_total", post)] == 1
    assert any(name == "eco2_llm_calls_total" and value >= 1 for (name, _), value in found.items())


def counted(found: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> bool:
    """Every stage's delivery acknowledged and its handler timed."""
    return all(
        found.get(("eco2_handler_duration_seconds_count", frozenset({("function", stage)})))
        and found.get(
            ("eco2_deliveries_total", frozenset({("function", stage), ("outcome", "ack")}))
        )
        for stage in STAGES
    )


async def scrape_until_counted(
    internal: httpx.AsyncClient,
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The last stage's delivery is decided just after it appended `done` (which the client
    may read first): scrape again until it is counted."""
    async with asyncio.timeout(10):
        while True:
            scraped = await internal.get("/metrics")
            assert scraped.status_code == 200
            assert scraped.headers["content-type"].startswith("text/plain")
            found = parse(scraped.text)
            if counted(found):
                return found
            await asyncio.sleep(0.05)
