"""Per-job event streams (progress and tokens) for the SSE gateway: port, adapters, router."""
