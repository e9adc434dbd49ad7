"""The routing tables' shared metadata and the one SQL idiom they need on both databases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names the migrations can rely on, the same on SQLite and PostgreSQL."""

metadata = MetaData(naming_convention=NAMING_CONVENTION)
"""Inbox, tracking, submissions, dead letters and destinations (see their modules)."""


def insert_once(session: AsyncSession, table: Table, *conflict_columns: str) -> Insert:
    """An INSERT that does nothing when a row with the same `conflict_columns` exists (with no
    columns named: when it would break any unique constraint).

    The database decides, atomically, which of two concurrent writers (two workers handed the
    same Kafka record, a retry racing its original) wins: the loser's statement inserts nothing
    and reports rowcount 0, with no error and no aborted transaction.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(
            index_elements=conflict_columns or None
        )
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict_columns or None)
    raise NotImplementedError(f"the node supports SQLite and PostgreSQL, not {dialect}")


ROWS_PER_STATEMENT = 500
"""Values per `IN (...)` list and rows per bulk statement: well under SQLite's and PostgreSQL's
limits on bound parameters."""


async def insert_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, object]],
    *conflict_columns: str,
) -> None:
    """`insert_once` of many rows. One compiled statement executed for all of them (SQLAlchemy
    caches it and sends the rows in multi-row batches); a statement with the rows inlined in
    VALUES would be compiled anew for every batch, which costs more than the database's work."""
    if not rows:
        return
    statement = insert_once(session, table, *conflict_columns)
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        await session.execute(
            statement, [dict(row) for row in rows[start : start + ROWS_PER_STATEMENT]]
        )


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time, stored in UTC and always read back time-zone aware.

    PostgreSQL keeps the zone (timestamptz); SQLite has no zones and hands back naive values,
    which this type marks as UTC, so code above it never compares naive with aware times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"refusing a naive datetime {value.isoformat()}: give its time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)
