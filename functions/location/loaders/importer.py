"""Importing a public file into the sites table: parse, report the bad rows, upsert the rest.

Idempotent by construction: rows are keyed on (source, source_id) and an identical row is not
written, so importing the same file twice reports everything `unchanged` the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from functions.location.loaders.formats import Rejected, parse
from functions.location.ports import SiteRepository, UpsertReport

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"
SAMPLE_FILES: dict[str, Path] = {
    "keco": SAMPLE_DIR / "keco_collection_boxes.sample.json",
    "clothing": SAMPLE_DIR / "clothing_bins.sample.csv",
    "zerowaste": SAMPLE_DIR / "zerowaste_shops.sample.json",
}


@dataclass(frozen=True, slots=True)
class Imported:
    kind: str
    report: UpsertReport
    rejected: list[Rejected]

    def lines(self) -> list[str]:
        """What the CLI prints: the counts, then one line per rejected row."""
        r = self.report
        head = (
            f"{self.kind}: {r.inserted} inserted, {r.updated} updated, {r.unchanged} unchanged,"
            f" {len(self.rejected)} rejected"
        )
        return [head, *(f"  row {x.row} ({x.key or 'no key'}): {x.reason}" for x in self.rejected)]


async def import_bytes(repo: SiteRepository, kind: str, raw: bytes) -> Imported:
    parsed = parse(kind, raw)
    report, _ = await repo.upsert(parsed.sites)
    return Imported(kind, report, parsed.rejected)


async def import_sample(repo: SiteRepository) -> list[Imported]:
    """The shipped sample files (what the embedded map starts with)."""
    return [await import_bytes(repo, k, p.read_bytes()) for k, p in SAMPLE_FILES.items()]
