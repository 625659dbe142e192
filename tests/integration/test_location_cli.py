"""`eco2 places`: importing public files into PostgreSQL, twice, with a bad row."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.kit.cli import main
from functions.location.loaders.importer import SAMPLE_FILES

pytestmark = pytest.mark.integration


def test_import_is_idempotent_and_reports_bad_rows(
    pg_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    boxes = SAMPLE_FILES["keco"]
    assert main(["places", "--dsn", pg_dsn, "import", "keco", str(boxes)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "keco: 12 inserted, 0 updated, 0 unchanged, 0 rejected"
    ]
    assert main(["places", "--dsn", pg_dsn, "import", "keco", str(boxes)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "keco: 0 inserted, 0 updated, 12 unchanged, 0 rejected"
    ]
    bins = tmp_path / "bins.csv"
    bins.write_text(
        SAMPLE_FILES["clothing"].read_text(encoding="utf-8") + "X-1,거꾸로,,,126.97,37.56,\n",
        encoding="utf-8",
    )
    assert main(["places", "--dsn", pg_dsn, "import", "clothing", str(bins)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "clothing: 8 inserted, 0 updated, 0 unchanged, 1 rejected"
    assert out[1].startswith("  row 9 (X-1): coordinate (126.97, 37.56) is outside Korea")
    assert "swapped" in out[1]
    assert main(["places", "--dsn", pg_dsn, "sample"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "keco: 0 inserted, 0 updated, 12 unchanged, 0 rejected"
    assert lines[1] == "clothing: 0 inserted, 0 updated, 8 unchanged, 0 rejected"
    assert lines[2] == "zerowaste: 10 inserted, 0 updated, 0 unchanged, 0 rejected"


def test_a_file_that_is_not_in_the_format_is_refused(
    pg_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "shops.json"
    broken.write_text("{not json", encoding="utf-8")
    assert main(["places", "--dsn", pg_dsn, "import", "zerowaste", str(broken)]) == 2
    assert "not JSON" in capsys.readouterr().err


def test_synthetic_sites_load_idempotently(pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["places", "--dsn", pg_dsn, "synthetic", "--count", "50", "--seed", "3"]
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == "synthetic: 50 inserted, 0 updated, 0 unchanged"
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == "synthetic: 0 inserted, 0 updated, 50 unchanged"
