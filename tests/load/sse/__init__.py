"""Helpers for the SSE gateway's tests and benchmark: a real server in a task, frame parsing."""
