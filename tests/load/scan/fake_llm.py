"""The OpenAI-compatible fake LLM as its own process, for the scan and chat benchmarks.

    python -m tests.load.scan.fake_llm --port 9100 [--vision 3] [--answer 8] [--api-key fake]
        [--stream-first 0.8] [--stream-rate 30] [--stream-tokens 300]

It serves tests/support/paced_llm.py's `PacedOpenAI` (POST /v1/responses: a schema-valid JSON
answer after the schema's latency; a streamed plain-text answer of `--stream-tokens` numbered
tokens, the first after `--stream-first` s, then `--stream-rate` per second), so the mesh's
real OpenAI adapter and SDK run their whole path. `GET /stats` returns the requests answered
per schema name (LLM calls per job show retries and redeliveries), the streams started and
finished and each stream's timing; `GET /health` is for readiness.
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse

from tests.support.llm_fakes import PLAIN_TEXT
from tests.support.paced_llm import PacedOpenAI

VISION, ANSWER = "scan_vision", "scan_answer"  # the wire names of scan.vision / scan.answer


def options() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--vision", type=float, default=3.0, help="seconds per vision answer")
    p.add_argument("--answer", type=float, default=8.0, help="seconds per answer-stage answer")
    p.add_argument("--stream-first", type=float, default=0.8, help="s to a stream's 1st token")
    p.add_argument("--stream-rate", type=float, default=30.0, help="streamed tokens per second")
    p.add_argument("--stream-tokens", type=int, default=300, help="tokens per streamed answer")
    p.add_argument("--api-key", default="fake")
    return p.parse_args()


def main() -> None:
    args = options()
    latency = {VISION: args.vision, ANSWER: args.answer, PLAIN_TEXT: args.stream_first}
    fake = PacedOpenAI(
        api_key=args.api_key,
        latency_by_schema=latency,
        answer_tokens=args.stream_tokens,
        rate=args.stream_rate,
    )
    app = fake.app()

    async def stats(request: Request) -> JSONResponse:
        timings = [[t.tag, t.arrived, t.first_delta] for t in fake.timings]
        return JSONResponse(
            {
                "counts": dict(fake.counts),
                "streams_started": fake.streams_started,
                "streams_finished": fake.streams_finished,
                "timings": timings,
            }
        )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "alive"})

    app.add_route("/stats", stats, methods=["GET"])
    app.add_route("/health", health, methods=["GET"])
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        backlog=4096,
        timeout_graceful_shutdown=2,
    )


if __name__ == "__main__":
    main()
