"""Fixtures shared by the whole suite: the real Kafka broker and PostgreSQL server.

Both are started once per test session (or taken from AXIS_TEST_KAFKA_BOOTSTRAP and
AXIS_TEST_DATABASE_URL when set) and fail loudly when they cannot be had: an integration test
never skips because its server is missing. Each test gets its own topic prefix and its own
PostgreSQL schema, so tests never see each other's data.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.broker.assembly import ensure_release
from axis.broker.cluster import LocalCluster
from axis.broker.layout import ClusterLayout
from axis.settings import DEFAULT_KAFKA_VERSION, default_cache_dir
from axis.store.db import make_engine
from tests.support.pki import Pki, build_pki
from tests.support.postgres import TestPostgres, free_port
from tests.support.running_node import NodePlace


def _free_port_pair() -> int:
    """A port p with p+1 free too (client and controller listeners of one broker)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports on 127.0.0.1")


@pytest.fixture(scope="session")
def shared_tmp() -> Iterator[Path]:
    """A session directory readable by other users (the postgres user must traverse it)."""
    path = Path(tempfile.mkdtemp(prefix="axis-test-"))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
async def kafka_cluster(shared_tmp: Path) -> AsyncIterator[LocalCluster | None]:
    """The session's real broker, started by us; None when an external one is named."""
    if os.environ.get("AXIS_TEST_KAFKA_BOOTSTRAP"):
        yield None
        return
    release = ensure_release(default_cache_dir(), DEFAULT_KAFKA_VERSION)
    cluster = LocalCluster(
        ClusterLayout(root=shared_tmp / "kafka", host="127.0.0.1", port=_free_port_pair(),
                      node_count=1)
    )  # fmt: skip
    await cluster.start(release, heap="512m", timeout=120)
    yield cluster
    cluster.stop(purge=True)


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_cluster: LocalCluster | None) -> str:
    external = os.environ.get("AXIS_TEST_KAFKA_BOOTSTRAP")
    if external:
        return external
    assert kafka_cluster is not None
    return kafka_cluster.layout.bootstrap


@pytest.fixture
def topic_prefix() -> str:
    """A prefix of this test's own, so its topics and groups are invisible to other tests."""
    return f"t{uuid.uuid4().hex[:12]}."


@pytest.fixture(scope="session")
def postgres_url(shared_tmp: Path) -> Iterator[str]:
    external = os.environ.get("AXIS_TEST_DATABASE_URL")
    if external:
        yield external
        return
    server = TestPostgres(root=shared_tmp / "postgres", port=free_port())
    url = server.start()
    yield url
    server.destroy()


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture
async def pg_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose tables live in a PostgreSQL schema made for this test alone."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_asyncpg_dsn(postgres_url))
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        engine = make_engine(postgres_url, schema=schema)
        yield engine
        await engine.dispose()
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await admin.close()


@pytest.fixture
def node_place(
    pg_engine: AsyncEngine,
    postgres_url: str,
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
) -> NodePlace:
    """Where a node test's node runs (`tests.support.running_node`): this test's schema on the
    shared PostgreSQL, its topic prefix on the shared broker, its temporary directory."""
    return NodePlace(pg_engine, postgres_url, kafka_bootstrap, topic_prefix, tmp_path)


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'axis.db'}")
    yield engine
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_engine(request: pytest.FixtureRequest) -> AsyncEngine:
    """The same test on the embedded default and on the production database."""
    fixture = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    engine: AsyncEngine = request.getfixturevalue(fixture)
    return engine


@pytest.fixture(scope="session")
def pki() -> Pki:
    """The session's test PKI (key generation is the slow part, so it is done once)."""
    return build_pki()
