"""The tracer provider is built from settings at the composition root: `none` builds nothing
and leaves tracing off; `file` writes every span as a JSON line, flushed when the process
closes its telemetry."""

from __future__ import annotations

import json
from pathlib import Path

from eventing import tracing
from functions.kit.settings import Settings
from functions.kit.telemetry import Telemetry


def test_none_leaves_tracing_off() -> None:
    telemetry = Telemetry()
    telemetry.start(Settings(otel_exporter="none"))
    assert telemetry.provider is None and not tracing.enabled()


async def test_file_writes_each_span_as_a_json_line(tmp_path: Path) -> None:
    out = tmp_path / "spans.jsonl"
    telemetry = Telemetry()
    telemetry.start(Settings(otel_exporter="file", otel_file=str(out), function="scan-vision"))
    assert tracing.enabled()
    with tracing.span("bus append done"):
        pass
    await telemetry.close()
    assert not tracing.enabled()
    [line] = out.read_text(encoding="utf-8").splitlines()
    span = json.loads(line)
    assert span["name"] == "bus append done"
    assert span["resource"]["attributes"]["service.name"] == "scan-vision"
