"""The persistent SSE gateway: job progress and tokens streamed to the browser, with resume.

`hub` holds the process's one live subscription and fans it out by job id; `session` is one
client's stream (history, recovery, live, keepalive, drain); `gateway` checks the owner and
opens sessions; `api` is the FastAPI routes. The deployable lives above, beside the kit
(`functions.kit.deploy.sse_gateway`): this package never imports `functions/`.
"""
