"""The broker port, its two adapters and the dispatch semantics they share."""
