"""The OpenAI-compatible fake LLM as its own process, for the scan benchmark.

    python -m tests.load.scan.fake_llm --port 9100 [--vision 3] [--answer 8] [--api-key fake]

It serves tests/support/llm_fakes.py's `FakeOpenAI` (POST /v1/responses: a schema-valid JSON
answer after the schema's latency), so the mesh's real OpenAI adapter and SDK run their whole
path. `GET /stats` returns the requests answered per schema name (LLM calls per job show
retries and redeliveries), `GET /health` is for readiness.
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse

from tests.support.llm_fakes import FakeOpenAI

VISION, ANSWER = "scan_vision", "scan_answer"  # the wire names of scan.vision / scan.answer


def options() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--vision", type=float, default=3.0, help="seconds per vision answer")
    p.add_argument("--answer", type=float, default=8.0, help="seconds per answer-stage answer")
    p.add_argument("--api-key", default="fake")
    return p.parse_args()


def main() -> None:
    args = options()
    fake = FakeOpenAI(
        api_key=args.api_key, latency_by_schema={VISION: args.vision, ANSWER: args.answer}
    )
    app = fake.app()

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse({"counts": dict(fake.counts)})

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
