"""Fixtures of the node's tests that stop and start a database server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support import postgres


@pytest.fixture
async def own_postgres(shared_tmp: Path) -> AsyncIterator[postgres.TestPostgres]:
    """A PostgreSQL server for one test alone (on a free port, in a directory of its own), which
    the test may stop, start and restart; the session's shared server is never touched."""
    root = shared_tmp / f"own-postgres-{uuid.uuid4().hex[:8]}"
    server = postgres.TestPostgres(root=root, port=postgres.free_port())
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.destroy)
