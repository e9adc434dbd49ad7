"""Sessions for single-statement reads run without a transaction (one round trip per read);
the ordinary sessions still open one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from axis.store.db import make_engine, read_sessions, session_factory

ALONE = text("SELECT statement_timestamp() - now() < interval '40 milliseconds'")
"""now() is when the transaction began: long before the statement when the session's first
statement (50 ms earlier) opened it."""


async def _second_statement_alone(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Whether the second of two statements in one session runs in a transaction of its own."""
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        await asyncio.sleep(0.05)
        alone = await session.scalar(ALONE)
    return bool(alone)


@pytest.mark.integration
async def test_reads_on_postgresql_commit_each_statement(pg_engine: AsyncEngine) -> None:
    assert await _second_statement_alone(read_sessions(pg_engine)) is True
    assert await _second_statement_alone(session_factory(pg_engine)) is False  # BEGIN ... ROLLBACK


async def test_reads_on_sqlite_see_what_was_just_committed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'axis.db'}")
    try:
        async with session_factory(engine).begin() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))
            await session.execute(text("INSERT INTO t VALUES (7)"))
        async with read_sessions(engine)() as session:
            assert await session.scalar(text("SELECT v FROM t")) == 7
        async with session_factory(engine).begin() as session:
            await session.execute(text("UPDATE t SET v = 8"))
        async with read_sessions(engine)() as session:
            assert await session.scalar(text("SELECT v FROM t")) == 8
    finally:
        await engine.dispose()
