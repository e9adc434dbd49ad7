"""SQLite writers of one process take turns (`axis.store.sqlite_writes`): concurrent write
transactions wait for each other instead of failing or sleeping in SQLite's busy handler, reads
never wait, and a transaction that fails or is rolled back hands the turn on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from axis.store.db import session_factory
from axis.store.sqlite_writes import WriteTurns, take_turns


def engine_at(path: Path) -> tuple[AsyncEngine, WriteTurns]:
    # A busy timeout of 0: without turns, a second writer fails at once ("database is locked").
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 0})
    return engine, take_turns(engine)


async def test_concurrent_writers_take_turns_instead_of_meeting_a_locked_database(
    tmp_path: Path,
) -> None:
    engine, turns = engine_at(tmp_path / "a.db")
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))

        async def write(n: int) -> None:
            async with sessions.begin() as session:
                await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                await asyncio.sleep(0.02)  # hold the write lock a while

        await asyncio.gather(*(write(n) for n in range(10)))
        async with sessions() as session:
            assert await session.scalar(text("SELECT count(*) FROM t")) == 10
        assert turns.waits > 0  # they did meet, and waited for their turn
    finally:
        await engine.dispose()


async def test_a_failed_or_rolled_back_writer_hands_the_turn_on(tmp_path: Path) -> None:
    engine, _ = engine_at(tmp_path / "b.db")
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
            await session.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(IntegrityError):
            async with sessions.begin() as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))
        async with sessions() as session:
            await session.execute(text("INSERT INTO t VALUES (2)"))
            await session.rollback()
        async with sessions() as session:  # never committed nor rolled back: closed
            await session.execute(text("INSERT INTO t VALUES (3)"))

        async def reads_while_writing() -> int:
            async with sessions() as reader:
                return int(await reader.scalar(text("SELECT count(*) FROM t")) or 0)

        async with sessions.begin() as session:
            await session.execute(text("INSERT INTO t VALUES (4)"))
            assert await asyncio.wait_for(reads_while_writing(), 5) == 1  # reads never wait
        async with sessions() as session:
            rows = (await session.execute(text("SELECT n FROM t ORDER BY n"))).scalars().all()
        assert rows == [1, 4]
    finally:
        await engine.dispose()


async def test_writers_of_two_engines_on_one_file_take_turns_through_the_lock_file(
    tmp_path: Path,
) -> None:
    # Two engines stand for two processes: each has its own turns and its own descriptor of
    # the lock file, and flock locks conflict between descriptors as between processes.
    path = tmp_path / "c.db"
    (first, _), (second, _) = engine_at(path), engine_at(path)
    try:
        async with session_factory(first).begin() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))

        async def write(engine: AsyncEngine, n: int) -> None:
            async with session_factory(engine).begin() as session:
                await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                await asyncio.sleep(0.02)

        await asyncio.gather(*(write(first if n % 2 else second, n) for n in range(10)))
        async with session_factory(second)() as session:
            assert await session.scalar(text("SELECT count(*) FROM t")) == 10
        assert (tmp_path / "c.db-axis-writes").exists()
    finally:
        await first.dispose()
        await second.dispose()
