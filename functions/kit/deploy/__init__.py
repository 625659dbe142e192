"""How the kit hosts things as deployables: one module per persistent process.

The mechanisms live in `eventing/` (the SSE gateway, the event router) and never import
`functions/`; the modules here give them settings, adapters and a start.
"""
