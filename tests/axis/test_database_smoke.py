"""Smoke test of the database edge: migrations and a row round trip, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.migrations.runner import current_revision, head_revision, upgrade
from axis.store import audit
from axis.store.db import session_factory
from axis.store.tables import all_metadata

pytestmark = pytest.mark.integration


async def test_an_audit_row_round_trips_through_the_migrated_schema(db_engine: AsyncEngine) -> None:
    assert await current_revision(db_engine) is None
    await upgrade(db_engine)
    assert await current_revision(db_engine) == head_revision()

    sessions = session_factory(db_engine)
    at = datetime(2025, 7, 1, 0, 0, 5, tzinfo=UTC)
    entry = audit.AuditEntry(
        actor="operator@vpcp", action="dlq.replay", target="000.00.00.G22",
        detail={"reason": "Sáp nhập tỉnh", "count": 3}, request_id="req-42", at=at,
    )  # fmt: skip
    async with sessions.begin() as session:
        first = await audit.append(session, entry)
        second = await audit.append(session, audit.AuditEntry("a", "b", "c"))
    async with sessions() as session:
        rows = await audit.recent(session)
        mine = await audit.recent(session, actor="operator@vpcp")

    assert second > first
    assert [row.id for row in rows] == [second, first]
    (stored,) = mine
    assert (stored.actor, stored.action, stored.target, stored.request_id) == (
        "operator@vpcp", "dlq.replay", "000.00.00.G22", "req-42",
    )  # fmt: skip
    assert stored.detail == {"reason": "Sáp nhập tỉnh", "count": 3}
    assert stored.at == at


async def test_upgrading_twice_is_harmless(db_engine: AsyncEngine) -> None:
    await upgrade(db_engine)
    await upgrade(db_engine)
    assert await current_revision(db_engine) == head_revision()


async def test_each_test_gets_a_postgresql_schema_of_its_own(pg_engine: AsyncEngine) -> None:
    await upgrade(pg_engine)
    async with pg_engine.connect() as conn:
        schema = (await conn.execute(text("SELECT current_schema()"))).scalar_one()
        query = text(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'audit_log'"
        )
        where = (await conn.execute(query)).scalars().all()
    assert schema.startswith("t_")
    assert where == [schema]  # other tests' tables are invisible, none leaked into public


async def test_the_migrations_build_exactly_the_tables_the_code_declares(
    db_engine: AsyncEngine,
) -> None:
    await upgrade(db_engine)

    def _drift(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, all_metadata()))

    async with db_engine.connect() as conn:
        drift = await conn.run_sync(_drift)
    assert drift == []
