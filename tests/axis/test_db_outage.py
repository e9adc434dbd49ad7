"""The database edge through a PostgreSQL outage (issue 14, finding 10), on a server of the
test's own: a connection that cannot be made is `DatabaseUnreachable` within seconds; a
connection lost mid-statement is an invalidated one; a restart between two statements fails
neither (closed connections are replaced on checkout, without a ping per checkout); the registry
follower waits the outage out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.migrations.runner import upgrade
from axis.store.db import DatabaseUnreachable, database_unavailable, make_engine, session_factory
from orgcodes.service import RegistryService
from orgcodes.sync import RegistryFollower, RegistryPublisher
from routing.topics import TopicLayout, ensure_topics
from tests.orgcodes.test_registry import rearrangement
from tests.orgcodes.test_store import _baseline_set
from tests.support import postgres
from tests.support.bus import eventually

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


async def test_the_registry_follower_waits_for_the_database_and_applies_what_came_meanwhile(
    own_postgres: postgres.TestPostgres, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    spec = TopicLayout(prefix=topic_prefix).registry
    await ensure_topics(kafka_bootstrap, (spec,))
    authority_engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'authority.db'}")
    engine = make_engine(own_postgres.url)
    stopping = asyncio.Event()
    try:
        for each in (authority_engine, engine):
            await upgrade(each)
        authority = RegistryService(session_factory(authority_engine))
        await authority.load()
        follower_registry = RegistryService(session_factory(engine))
        publisher = RegistryPublisher(authority, kafka_bootstrap, spec.name)
        follower = RegistryFollower(
            follower_registry, kafka_bootstrap, spec.name, synced_every=0.5, poll_ms=100,
            waits=database_unavailable,
        )  # fmt: skip
        task = asyncio.create_task(follower.run(stopping))
        await authority.apply(_baseline_set(), actor="vpcp")
        assert await publisher.publish_pending() == [1]
        await eventually(lambda: _at(follower_registry, 1, task), what="version 1 followed")

        await asyncio.to_thread(own_postgres.stop)
        await authority.apply(rearrangement(), actor="vpcp")
        assert await publisher.publish_pending() == [2]
        await asyncio.sleep(3)  # the follower meets the outage (records and its sync mark)
        assert not task.done(), task.exception()
        await asyncio.to_thread(own_postgres.start)
        await eventually(lambda: _at(follower_registry, 2, task), what="version 2 followed")
        stopping.set()
        await asyncio.wait_for(task, 30)
    finally:
        stopping.set()
        await engine.dispose()
        await authority_engine.dispose()


async def _at(service: RegistryService, version: int, task: asyncio.Task[None]) -> bool:
    if task.done():
        task.result()
        raise AssertionError("the follower stopped")
    return service.version == version
