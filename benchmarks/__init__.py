"""Benchmarks B1-B5 and R1 (see TARGETS in the README): run with `python -m benchmarks.NAME`."""
