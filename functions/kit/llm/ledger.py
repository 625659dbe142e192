"""The cost of LLM calls: a price table per model (data, `prices.json`) and the per-run ledger.

Each usage record carries its cost, computed when it is recorded from the call's terminal
usage. At the end of a run the ledger sums the run's records by model (`settle`), and the
summary is stored next to them (`llm_run_costs`): reading what a chat turn cost is one row,
and a run resumed in another process is still summed whole (the records are the truth, not
a counter in one process's memory).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)
PRICES = Path(__file__).with_name("prices.json")
PER_MTOK = 1_000_000


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float
    per_search: float = 0.0


@dataclass(frozen=True)
class ModelCost:
    """One model's share of a run."""

    model: str
    calls: int
    failed: int
    input_tokens: int
    output_tokens: int
    searches: int
    cost_usd: float | None  # None: some of its calls had no price


@dataclass(frozen=True)
class RunCost:
    job_id: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float  # of the priced calls
    priced: bool  # every call had a price
    by_model: tuple[ModelCost, ...]


@cache
def load_prices(path: Path = PRICES) -> Mapping[str, Price]:
    """The table, read once when first needed (never at import)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {name: Price(**row) for name, row in raw.items() if not name.startswith("_")}


def price_of(model: str, prices: Mapping[str, Price]) -> Price | None:
    """The price of `model`: its own, or that of the longest name it starts with (dated
    snapshots such as `gpt-5-mini-2026-01-15` cost what their family costs)."""
    name = model.strip().lower()
    if name in prices:
        return prices[name]
    matches = [known for known in prices if name.startswith(known)]
    return prices[max(matches, key=len)] if matches else None


def cost_usd(
    model: str, input_tokens: int, output_tokens: int, searches: int,
    prices: Mapping[str, Price],
) -> float | None:  # fmt: skip
    price = price_of(model, prices)
    if price is None:
        log.warning("no price for LLM model %r: its usage is recorded without a cost", model)
        return None
    tokens = input_tokens * price.input_per_mtok + output_tokens * price.output_per_mtok
    return round(tokens / PER_MTOK + searches * price.per_search, 8)


def summarise(job_id: str, by_model: Iterable[ModelCost]) -> RunCost:
    rows = tuple(sorted(by_model, key=lambda m: m.model))
    return RunCost(
        job_id=job_id,
        calls=sum(m.calls for m in rows),
        input_tokens=sum(m.input_tokens for m in rows),
        output_tokens=sum(m.output_tokens for m in rows),
        cost_usd=round(sum(m.cost_usd or 0.0 for m in rows), 8),
        priced=all(m.cost_usd is not None for m in rows),
        by_model=rows,
    )
