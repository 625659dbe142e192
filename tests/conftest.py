"""Shared test wiring: the real-service rig plus the per-adapter broker and event bus factories."""

pytest_plugins = [
    "tests.rig",
    "tests.support.brokers",
    "tests.support.buses",
    "tests.support.mesh_settings",
]
