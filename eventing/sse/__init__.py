"""The persistent SSE gateway: job progress and tokens streamed to the browser, with resume.

`hub` holds the process's one live subscription and fans it out by job id; `session` is one
client's stream (history, recovery, live, keepalive, drain); `api` is the FastAPI route;
`app` is the deployable (uvicorn --factory eventing.sse.app:create_gateway_app).
"""
