"""The chat bench's figures: completion, time to first token (and what the mesh adds to the
fake model's own), tokens exactly once and in order, tokens/s, CPU per turn per process."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.load.chat.checks import ChatDbCheck
from tests.load.scan.chaos import ChaosLog
from tests.load.scan.metrics import Sampler
from tests.load.scan.report import pct, process_table

Row = dict[str, Any]


@dataclass
class ChatRun:
    users: int
    turns_each: int
    tokens: int  # per answer
    turns: list[Row]  # tests/load/chat/user.py's Turn, as dicts
    timings: list[list[Any]]  # the fake's [tag, arrived, first_delta], one per stream
    login_s: float
    login_errors: dict[str, int]
    sampler: Sampler
    db: ChatDbCheck
    llm_counts: dict[str, int]
    chaos: ChaosLog | None = None
    notes: list[str] = field(default_factory=list)


def _first_streams(timings: list[list[Any]]) -> dict[str, tuple[float, float]]:
    """Per tag, the first stream the fake served (a resumed run streams again)."""
    first: dict[str, tuple[float, float]] = {}
    for tag, arrived, delta in sorted(timings, key=lambda t: float(t[1])):
        if tag is not None and tag not in first:
            first[tag] = (float(arrived), float(delta))
    return first


def _latencies(r: ChatRun, done: list[Row]) -> dict[str, list[float]]:
    """Seconds per completed turn: TTFT at the client, the fake's own, and the mesh's part
    before the fake (submit → broker → agent → graph → the answer's request) and after it
    (the fake's first delta → agent → bus → router → gateway → client)."""
    streams = _first_streams(r.timings)
    out: dict[str, list[float]] = {"ttft": [], "fake": [], "mesh": [], "before": [], "after": []}
    for t in done:
        if not t["first_token_at"]:
            continue
        ttft = t["first_token_at"] - t["posted_at"]
        out["ttft"].append(ttft)
        if t["tag"] in streams:
            arrived, delta = streams[t["tag"]]
            out["fake"].append(delta - arrived)
            out["mesh"].append(ttft - (delta - arrived))
            out["before"].append(arrived - t["posted_at"])
            out["after"].append(t["first_token_at"] - delta)
    return out


def summary(r: ChatRun) -> dict[str, Any]:
    planned = r.users * r.turns_each
    done = [t for t in r.turns if t["outcome"] == "completed"]
    lat = _latencies(r, done)
    firsts = [t["first_token_at"] for t in r.turns if t["first_token_at"]]
    lasts = [t["last_token_at"] for t in r.turns if t["last_token_at"]]
    received = sum(t["tokens"] for t in r.turns)
    window = max(lasts, default=0.0) - min(firsts, default=0.0)
    rates = [(t["tokens"] - 1) / (t["last_token_at"] - t["first_token_at"])
             for t in done if t["last_token_at"] > t["first_token_at"]]  # fmt: skip
    out: dict[str, Any] = {
        "conversations": r.users, "turns_planned": planned, "completed": len(done),
        "completed_pct": 100 * len(done) / planned if planned else 0.0,
        "tokens_expected": planned * r.tokens, "tokens_once_in_order": received,
        "duplicates": sum(t["duplicates"] for t in r.turns),
        "gaps": sum(t["gaps"] for t in r.turns),
        "exact_turns": sum(1 for t in r.turns if t["exact"]),
        "tokens_per_s": received / window if window > 0 else 0.0,
        "stream_rate_p50": pct(rates, 0.5), "stream_rate_p5": pct(rates, 0.05),
        "e2e_p50_s": pct([t["done_at"] - t["posted_at"] for t in done], 0.5),
        "e2e_p95_s": pct([t["done_at"] - t["posted_at"] for t in done], 0.95),
        "one_answer_per_turn": r.db.ok, "db_turns": r.db.turns, "db_one": r.db.one_answer,
        "db_blank": r.db.blank,
    }  # fmt: skip
    for name, values in lat.items():
        out[f"{name}_p50_s"], out[f"{name}_p95_s"] = pct(values, 0.5), pct(values, 0.95)
    return out


def render(r: ChatRun) -> str:
    s = summary(r)
    outcomes = Counter(t["outcome"] or "unfinished" for t in r.turns)
    out = [
        f"\n== N = {r.users} conversations x {r.turns_each} turn(s), {r.tokens} tokens per "
        f"answer (logins + conversations {r.login_s:.1f} s before; errors "
        f"{r.login_errors or 0})",
        f"turns completed {s['completed']} / {s['turns_planned']} ({s['completed_pct']:.1f} %); "
        f"outcomes {dict(outcomes)}",
        f"time to first token (POST -> first token at the client): p50 {s['ttft_p50_s']:.2f} s, "
        f"p95 {s['ttft_p95_s']:.2f} s; the fake's own (request -> first delta): p50 "
        f"{s['fake_p50_s']:.2f} s, p95 {s['fake_p95_s']:.2f} s",
        f"  the mesh adds (per turn, TTFT - the fake's own): p50 {s['mesh_p50_s']:.2f} s, p95 "
        f"{s['mesh_p95_s']:.2f} s = before the model (POST -> the answer's request at the "
        f"fake) p50 {s['before_p50_s']:.2f} / p95 {s['before_p95_s']:.2f} s + after its first "
        f"delta (-> the client) p50 {s['after_p50_s']:.2f} / p95 {s['after_p95_s']:.2f} s",
        f"tokens: {s['tokens_once_in_order']} of {s['tokens_expected']} received once and in "
        f"order, {s['duplicates']} duplicated, {s['gaps']} missing; {s['exact_turns']} turns "
        f"with the exact answer (every token once, in order, = done's answer); recoveries "
        f"{sum(t['recoveries'] for t in r.turns)}, reconnects "
        f"{sum(t['reconnects'] for t in r.turns)}",
        f"tokens/s delivered to all clients {s['tokens_per_s']:.0f}; per stream p50 "
        f"{s['stream_rate_p50']:.1f}/s, p5 {s['stream_rate_p5']:.1f}/s (the fake writes 30/s); "
        f"POST -> done p50 {s['e2e_p50_s']:.1f} s, p95 {s['e2e_p95_s']:.1f} s",
        f"LLM calls at the fake: {r.llm_counts}",
    ]
    out += [_stage_line(r.turns), *_db_lines(r.db), *_chaos_lines(r.chaos)]
    lines, _ = process_table(r.sampler, s["completed"], "turn")
    return "\n".join(out + lines + [f"note: {n}" for n in r.notes])


def _stage_line(turns: list[Row]) -> str:
    """When each stage first started, seconds after the POST (p50 over the turns)."""
    seen: dict[str, list[float]] = {}
    for t in turns:
        for stage, at in t["stages"].items():
            seen.setdefault(stage, []).append(at - t["posted_at"])
    ordered = sorted(seen.items(), key=lambda kv: pct(kv[1], 0.5))
    posts = [t["accepted_at"] - t["posted_at"] for t in turns if t["accepted_at"]]
    line = f"POST answered (202) p50 {pct(posts, 0.5):.2f} s, p95 {pct(posts, 0.95):.2f} s; "
    line += "stages started, s after the POST (p50): " + ", ".join(
        f"{stage} {pct(times, 0.5):.2f}" for stage, times in ordered
    )
    by_turn: dict[int, list[float]] = {}
    for t in turns:
        if t["first_token_at"]:
            by_turn.setdefault(t["turn"], []).append(t["first_token_at"] - t["posted_at"])
    if len(by_turn) > 1:
        line += "; TTFT p50 by turn: " + ", ".join(
            f"#{k + 1} {pct(v, 0.5):.2f} s" for k, v in sorted(by_turn.items())
        )
    return line


def _db_lines(d: ChatDbCheck) -> list[str]:
    verdict = "ok" if d.ok else "NOT OK"
    lines = [
        f"database: {d.turns} turns stored; exactly one assistant message: {d.one_answer}, "
        f"none: {d.no_answer}, more than one: {d.doubled}, blank: {d.blank}; runs still active: "
        f"{d.active_runs} -> {verdict}"
    ]
    return lines + [f"  LLM usage {line}" for line in d.llm] + [f"  {n}" for n in d.notes]


def _chaos_lines(chaos: ChaosLog | None) -> list[str]:
    if chaos is None:
        return []
    lines = ["chaos: " + "; ".join(f"{t:.1f} s {what}" for t, what in chaos.actions)]
    return lines + [f"  chaos error: {e}" for e in chaos.errors]
