"""The database edge through a PostgreSQL outage (issue 14, finding 10), on a server of the
test's own: a connection that cannot be made is `DatabaseUnreachable` within seconds; a
connection lost mid-statement is an invalidated one; a restart between two statements fails
neither (closed connections are replaced on checkout, without a ping per checkout)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.db import DatabaseUnreachable, database_unavailable, make_engine
from tests.support import postgres

pytestmark = pytest.mark.integration


async def _one(engine: AsyncEngine, statement: str = "SELECT 1") -> object:
    async with engine.connect() as connection:
        return await connection.scalar(text(statement))


async def test_a_restart_between_two_statements_fails_neither(
    own_postgres: postgres.TestPostgres,
) -> None:
    engine = make_engine(own_postgres.url)
    try:
        assert await asyncio.gather(*(_one(engine) for _ in range(3))) == [1, 1, 1]  # pooled
        await asyncio.to_thread(own_postgres.restart)
        for _ in range(4):
            assert await _one(engine) == 1
    finally:
        await engine.dispose()


async def test_a_stopped_database_is_unreachable_at_once_and_reachable_when_back(
    own_postgres: postgres.TestPostgres,
) -> None:
    engine = make_engine(own_postgres.url)
    try:
        assert await _one(engine) == 1
        await asyncio.to_thread(own_postgres.stop)
        for _ in range(3):
            with pytest.raises(DatabaseUnreachable) as refused:
                await asyncio.wait_for(_one(engine), timeout=10)
            assert database_unavailable(refused.value)
        await asyncio.to_thread(own_postgres.start)
        assert await _one(engine) == 1
    finally:
        await engine.dispose()


async def test_a_connection_lost_mid_statement_is_an_outage_not_a_bug(
    own_postgres: postgres.TestPostgres,
) -> None:
    engine = make_engine(own_postgres.url)
    try:
        sleeping = asyncio.create_task(_one(engine, "SELECT pg_sleep(30)"))
        await asyncio.sleep(0.5)
        await asyncio.to_thread(own_postgres.stop)  # fast: terminates the sleeping session
        with pytest.raises(DBAPIError) as lost:
            await asyncio.wait_for(sleeping, timeout=10)
        assert database_unavailable(lost.value)
        await asyncio.to_thread(own_postgres.start)
        assert await _one(engine) == 1
        with pytest.raises(DBAPIError) as bug:
            await _one(engine, "SELECT * FROM no_such_table")
        assert not database_unavailable(bug.value)
    finally:
        await engine.dispose()
