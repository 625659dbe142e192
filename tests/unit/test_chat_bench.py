"""The chat bench's own checks: a client's reader tells a doubled, skipped or recovered token
from the numbered text, the mesh's part of TTFT is matched per turn, and the paced fake
streams its numbered tokens on schedule, recording when each stream began."""

from __future__ import annotations

import json
import time
from typing import Any, cast

import httpx

from tests.load.chat.figures import ChatRun, summary
from tests.load.chat.user import Reader, Turn
from tests.support.llm_fakes import PLAIN_TEXT
from tests.support.paced_llm import PacedOpenAI, numbered_text, token_numbers


def test_the_reader_counts_tokens_once_and_in_order_duplicates_and_gaps() -> None:
    turn = Turn(user=0, turn=0, tag="0-0")
    reader = Reader(turn)
    for n, content in enumerate(["t0001", " t0002", " t0002", " t0004", " t0005"], start=1):
        reader.frame("token", str(n), {"content": content})
    assert (turn.tokens, turn.duplicates, turn.gaps) == (4, 1, 1)
    reader.frame("token_recovery", "9", {"accumulated": numbered_text(7)})
    reader.frame("token", "10", {"content": " t0008"})
    reader.frame("done", "11", {"status": "completed", "result": {"answer": numbered_text(8)}})
    assert (turn.tokens, turn.recoveries, reader.last_id) == (5, 1, 11)
    assert reader.text == numbered_text(8) and reader.done is not None


def test_the_mesh_s_part_of_ttft_is_matched_per_turn_and_a_resumed_stream_counts_once() -> None:
    turns = [
        {**vars(Turn(0, 0, "0-0", posted_at=10.0, first_token_at=11.0, last_token_at=21.0,
                     done_at=21.1, outcome="completed", tokens=301, exact=True))},
        {**vars(Turn(1, 0, "1-0", posted_at=20.0, outcome="error: send 503"))},
    ]  # fmt: skip
    timings = [["0-0", 10.1, 10.9], ["0-0", 15.0, 15.8]]  # the second: a resumed run's stream
    run = ChatRun(users=2, turns_each=1, tokens=301, turns=turns, timings=timings, login_s=0.0,
                  login_errors={}, sampler=cast(Any, None), db=cast(Any, _Db()),
                  llm_counts={})  # fmt: skip
    s = summary(run)
    assert s["completed_pct"] == 50.0 and s["tokens_once_in_order"] == 301
    assert round(s["fake_p50_s"], 3) == 0.8 and round(s["mesh_p50_s"], 3) == 0.2
    assert round(s["before_p50_s"], 3) == 0.1 and round(s["after_p50_s"], 3) == 0.1
    assert round(s["tokens_per_s"]) == 30 and round(s["stream_rate_p50"]) == 30


class _Db:
    ok, turns, one_answer, blank = True, 1, 1, 0


async def test_the_paced_fake_streams_numbered_tokens_on_schedule() -> None:
    fake = PacedOpenAI(api_key="k", latency_by_schema={PLAIN_TEXT: 0.05}, answer_tokens=6,
                       rate=50.0)  # fmt: skip
    body = {"model": "gpt-5-mini", "stream": True,
            "input": [{"role": "user", "content": [{"type": "input_text",
                                                    "text": "hi [bench:7-0]"}]}]}  # fmt: skip
    async with fake.running() as url, httpx.AsyncClient(timeout=10) as http:
        started = time.monotonic()
        text = ""
        async with http.stream("POST", f"{url}/responses", json=body,
                               headers={"authorization": "Bearer k"}) as answer:  # fmt: skip
            async for line in answer.aiter_lines():
                if line.startswith("data: ") and '"response.output_text.delta"' in line:
                    text += _delta(line)
        elapsed = time.monotonic() - started
    assert text == numbered_text(6) and token_numbers(text) == [1, 2, 3, 4, 5, 6]
    assert elapsed >= 0.05 + 5 / 50.0  # the first token's delay, then 50 tokens/s
    (timing,) = fake.timings
    assert timing.tag == "7-0" and timing.first_delta - timing.arrived >= 0.05
    assert (fake.streams_started, fake.streams_finished) == (1, 1)


def _delta(line: str) -> str:
    found: str = json.loads(line[len("data: ") :])["delta"]
    return found
