# Developer entry points. `make setup` once, then `make demo` or `make test`.
.PHONY: setup demo stop test test-unit lint bench clean

setup:
	scripts/setup

# A node on the embedded defaults: local Kafka broker, SQLite in ./.axis.
demo:
	.venv/bin/axis broker start
	.venv/bin/axis db upgrade
	@if .venv/bin/axis registry status --json | grep -q '"version": 0,'; then \
	  .venv/bin/axis registry dataset-2025 .axis/dataset-2025 && \
	  .venv/bin/axis registry apply .axis/dataset-2025/baseline.json && \
	  .venv/bin/axis registry apply .axis/dataset-2025/2025-07-01.json; fi
	.venv/bin/axis registry status
	.venv/bin/axis doctor

stop:
	.venv/bin/axis broker stop

# The whole suite: unit tests and integration tests against a real Kafka broker and a real
# PostgreSQL, both started by the test fixtures (or named by AXIS_TEST_KAFKA_BOOTSTRAP and
# AXIS_TEST_DATABASE_URL).
test:
	.venv/bin/pytest

test-unit:
	.venv/bin/pytest -m "not integration"

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

clean:
	rm -rf .axis .pytest_cache .mypy_cache .ruff_cache
