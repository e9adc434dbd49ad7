"""The axis node: configuration, wiring, HTTP API, CLI, dashboard, metrics, logging, migrations."""
