"""Paths to the test fixtures: copies of the shared edXML samples and the hostile corpus."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLES = sorted((FIXTURES / "edxml").glob("*.edxml"))
HOSTILE = FIXTURES / "hostile"


def sample(name: str) -> bytes:
    return (FIXTURES / "edxml" / name).read_bytes()


def hostile(name: str) -> bytes:
    return (HOSTILE / name).read_bytes()
