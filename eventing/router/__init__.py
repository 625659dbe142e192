"""The event router: moves shard-stream entries to Pub/Sub for the SSE gateways (ADR 0006)."""
