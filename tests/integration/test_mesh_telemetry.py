"""`eco2 run` with `ECO2_OTEL_EXPORTER=file`: the mesh's composition root builds the tracer
provider from settings, the canary's round trip through the broker is one trace in the span
file (flushed when the mesh closes), and tracing is off again afterwards."""

from __future__ import annotations

import json
from pathlib import Path

from eventing import tracing
from functions.kit.bootstrap import build_registry
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings


async def test_the_mesh_writes_its_spans_to_the_file_it_was_given(tmp_path: Path) -> None:
    out = tmp_path / "spans.jsonl"
    settings = Settings(otel_exporter="file", otel_file=str(out))
    mesh = Mesh(settings, build_registry(domains=["kit"]))
    await mesh.start()
    try:
        assert tracing.enabled()
        await mesh.probe(timeout_s=10)
    finally:
        await mesh.close()
    assert not tracing.enabled()
    spans = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_name = {s["name"]: s for s in spans}
    delivered = by_name["deliver mesh-canary"]
    published = by_name["publish kr.eco2.mesh.canary.requested.v1"]
    assert delivered["context"]["trace_id"] == published["context"]["trace_id"]
    assert delivered["parent_id"] == published["context"]["span_id"]
    assert delivered["resource"]["attributes"]["service.name"] == "eco2-mesh"
