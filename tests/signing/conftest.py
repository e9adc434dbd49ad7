"""The session's test PKI (key generation is the slow part, so it is done once)."""

from __future__ import annotations

import pytest

from tests.support.pki import Pki, build_pki


@pytest.fixture(scope="session")
def pki() -> Pki:
    return build_pki()
