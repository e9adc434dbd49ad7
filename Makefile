# Developer entry points. `make setup` once, then `make demo` or `make test`.
.PHONY: setup demo stop test test-unit lint bench clean

setup:
	scripts/setup

# A document through a node on the embedded defaults: the local Kafka broker (started when none
# answers), SQLite in ./.axis, the generated 2025 registry, development certificates.
demo:
	.venv/bin/axis demo

stop:
	.venv/bin/axis broker stop

# The whole suite: unit tests and integration tests against a real Kafka broker and a real
# PostgreSQL, both started by the test fixtures (or named by AXIS_TEST_KAFKA_BOOTSTRAP and
# AXIS_TEST_DATABASE_URL).
test:
	.venv/bin/pytest

test-unit:
	.venv/bin/pytest -m "not integration"

# B1-B5 with their same-run baselines, one table (about 8 minutes; never while tests run).
bench:
	.venv/bin/python -m benchmarks.run_all

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports

clean:
	rm -rf .axis .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
