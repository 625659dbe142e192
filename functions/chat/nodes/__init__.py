"""The graph's nodes: intent, the router's plan, the sub-agents, the aggregator, the answer."""
