"""The scan load benchmark's parts: processes, virtual users, chaos, checks and the report."""
