"""Shared test wiring: the real-service rig plus the per-adapter broker factory."""

pytest_plugins = ["tests.rig", "tests.support.brokers"]
