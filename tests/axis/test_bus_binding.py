"""One bus, one database (issue 14, finding 9): a node whose database is not the one the bus is
bound to refuses to start, `axis doctor` says so, and `axis bus rebind` moves the bus on purpose;
on the real broker, PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.migrations.runner import upgrade
from axis.node.assembly import open_node
from axis.node.bus_binding import (
    BUS_BOUND_TO_OTHER_DATABASE,
    BindingError,
    database_id,
    ensure_bound,
)
from axis.node.parts import topic_layout
from axis.settings import Settings, load_settings
from axis.store import audit
from axis.store.db import make_engine, session_factory
from routing.topics import ensure_topics
from tests.support.cli import run_axis as axis

pytestmark = pytest.mark.integration


async def _schema(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        return str(await connection.scalar(text("SELECT current_schema()")))


@pytest.fixture
async def pg_settings(
    pg_engine: AsyncEngine, postgres_url: str, kafka_bootstrap: str, topic_prefix: str,
    tmp_path: Path,
) -> Settings:  # fmt: skip
    """A node on this test's PostgreSQL schema (migrated) and topic prefix."""
    await upgrade(pg_engine)
    return load_settings(
        database_url=postgres_url, database_schema=await _schema(pg_engine),
        kafka_bootstrap=kafka_bootstrap, topic_prefix=topic_prefix, data_dir=tmp_path / "pg",
        partitions=1, node_id="node-pg",
    )  # fmt: skip


@pytest.fixture
async def sqlite_settings(kafka_bootstrap: str, topic_prefix: str, tmp_path: Path) -> Settings:
    """Another node, with a data directory (and SQLite database) of its own, on the same bus."""
    settings = load_settings(
        data_dir=tmp_path / "other", kafka_bootstrap=kafka_bootstrap, topic_prefix=topic_prefix,
        partitions=1, node_id="node-sqlite",
    )  # fmt: skip
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return settings


async def _id_of(settings: Settings) -> str:
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    try:
        return await database_id(engine)
    finally:
        await engine.dispose()


async def _open(settings: Settings) -> None:
    async with open_node(settings):
        pass


def _env(settings: Settings) -> dict[str, str]:
    env = {
        **os.environ, "AXIS_DATA_DIR": str(settings.data_dir),
        "AXIS_DATABASE_URL": settings.database_url, "AXIS_PARTITIONS": "1",
        "AXIS_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "AXIS_TOPIC_PREFIX": settings.topic_prefix, "COLUMNS": "2000",
    }  # fmt: skip
    if settings.database_schema:
        env["AXIS_DATABASE_SCHEMA"] = settings.database_schema
    env.pop("AXIS_CONFIG", None)
    return env


async def test_a_node_on_another_database_refuses_to_start_naming_both(
    pg_settings: Settings, sqlite_settings: Settings
) -> None:
    await _open(pg_settings)  # the first node binds the new bus to its database
    bound, other = await _id_of(pg_settings), await _id_of(sqlite_settings)
    assert bound != other

    with pytest.raises(BindingError) as refused:
        async with open_node(sqlite_settings):
            pytest.fail("a node on another database opened")
    error = refused.value
    assert error.code == BUS_BOUND_TO_OTHER_DATABASE
    assert repr(pg_settings.topic_prefix) in error.message
    assert pg_settings.kafka_bootstrap in error.message
    assert f"bound to database {bound} (postgresql+asyncpg://" in error.message
    assert "by node node-pg" in error.message  # where the binding came from
    assert f"this node's database is {other} ({sqlite_settings.database_url})" in error.message
    assert f"axis bus rebind --from {bound}" in error.message

    await _open(pg_settings)  # the bus's own database still starts


async def test_replicas_sharing_one_database_start_together(pg_settings: Settings) -> None:
    replica = pg_settings.model_copy(update={"node_id": "node-pg-2"})
    await asyncio.gather(_open(pg_settings), _open(replica))
    await _open(replica)


async def test_of_two_databases_starting_at_once_on_a_new_bus_exactly_one_wins(
    pg_settings: Settings, sqlite_settings: Settings
) -> None:
    engines = [make_engine(s.database_url, schema=s.database_schema) for s in
               (pg_settings, sqlite_settings)]  # fmt: skip
    try:  # the topics exist before a node binds
        await ensure_topics(pg_settings.kafka_bootstrap, topic_layout(pg_settings).all())
        outcomes = await asyncio.gather(
            ensure_bound(pg_settings, engines[0]),
            ensure_bound(sqlite_settings, engines[1]),
            return_exceptions=True,
        )
    finally:
        for engine in engines:
            await engine.dispose()
    refused = [o for o in outcomes if isinstance(o, BindingError)]
    bound = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(refused) == 1 and len(bound) == 1, outcomes
    assert refused[0].code == BUS_BOUND_TO_OTHER_DATABASE
    winner = bound[0].database_id
    assert winner in refused[0].message


def test_doctor_reports_the_other_database_and_rebind_moves_the_bus(
    pg_settings: Settings, sqlite_settings: Settings, tmp_path: Path
) -> None:
    pg_env, other_env = _env(pg_settings), _env(sqlite_settings)
    fresh = axis(["doctor"], pg_env, tmp_path)
    assert "bound to no database yet" in fresh.stdout, fresh.stdout

    asyncio.run(_open(pg_settings))  # the first node binds the bus
    bound = asyncio.run(_id_of(pg_settings))
    other = asyncio.run(_id_of(sqlite_settings))

    refused = axis(["worker", "track"], other_env, tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"{BUS_BOUND_TO_OTHER_DATABASE}: "), refused.stderr

    doctor = axis(["doctor"], other_env, tmp_path)
    assert doctor.returncode == 1
    line = next(line for line in doctor.stdout.splitlines() if "bus binding" in line)
    assert "FAIL" in line and BUS_BOUND_TO_OTHER_DATABASE in line, doctor.stdout
    assert bound in doctor.stdout and other in doctor.stdout
    assert f"axis bus rebind --from {bound}" in doctor.stdout
    healthy = axis(["doctor"], pg_env, tmp_path)
    assert f"bound to this database ({bound})" in healthy.stdout, healthy.stdout

    stale = axis(["bus", "rebind", "--from", other, "--reason", "typo"], other_env, tmp_path)
    assert stale.returncode == 1 and stale.stderr.startswith("BUS_REBIND_STALE: "), stale.stderr
    moved = axis(["bus", "rebind", "--from", bound, "--reason", "moved to SQLite", "--actor",
                  "ops"], other_env, tmp_path)  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    assert f"bound to {other}" in moved.stdout and f"rebound from {bound}" in moved.stdout

    assert axis(["doctor"], pg_env, tmp_path).returncode == 1  # now the first one is refused
    shown = axis(["bus", "show", "--json"], other_env, tmp_path)
    assert '"bound_here": true' in shown.stdout, shown.stdout

    async def audited() -> list[audit.AuditEntry]:
        engine = make_engine(sqlite_settings.database_url)
        try:
            async with session_factory(engine)() as session:
                return await audit.recent(session, actor="ops")
        finally:
            await engine.dispose()

    (entry,) = asyncio.run(audited())
    assert (entry.action, entry.target) == (
        "bus.rebind",
        f"{sqlite_settings.topic_prefix}@{sqlite_settings.kafka_bootstrap}",
    )
    assert entry.detail["from"] == bound and entry.detail["reason"] == "moved to SQLite"
