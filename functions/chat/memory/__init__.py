"""The graph's memory: checkpoint savers (one thread per conversation)."""
