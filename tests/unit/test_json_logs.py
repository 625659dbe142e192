"""JSON log lines carry the current trace and span ids (functions/kit/telemetry.py), so a log
line leads to its trace; outside any span the ids are empty, never wrong."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from eventing import tracing
from functions.kit.settings import Settings
from functions.kit.telemetry import configure_logging


@pytest.fixture
def restored_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers, root.level = handlers, level


def test_a_json_line_names_the_span_it_was_logged_in(restored_root: None) -> None:
    out = io.StringIO()
    configure_logging(Settings(log_format="json", log_level="INFO"), out)
    tracing.install(TracerProvider())
    try:
        with tracing.span("deliver scan-vision") as span:
            logging.getLogger("eco2.test").info("classified %s", "milk carton")
        logging.getLogger("eco2.test").warning("outside")
    finally:
        tracing.uninstall()
    inside, outside = (json.loads(line) for line in out.getvalue().splitlines())
    assert span is not None
    context = span.get_span_context()
    assert inside["message"] == "classified milk carton" and inside["level"] == "INFO"
    assert inside["logger"] == "eco2.test" and inside["time"]
    assert inside["trace_id"] == format(context.trace_id, "032x")
    assert inside["span_id"] == format(context.span_id, "016x")
    assert outside["trace_id"] == "" and outside["level"] == "WARNING"


def test_real_mode_logs_json_by_default(restored_root: None) -> None:
    out = io.StringIO()
    configure_logging(Settings(mode="real"), out)
    logging.getLogger("eco2.test").error("boom")
    assert json.loads(out.getvalue())["message"] == "boom"
