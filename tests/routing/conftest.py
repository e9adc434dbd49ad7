"""Fixtures of the routing tests: a bus on the real broker and PostgreSQL, and its workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.migrations.runner import upgrade
from axis.store.db import session_factory
from envelopes.records import RecordCodec
from routing.bus import make_producer
from routing.delivery_worker import DeliveryContext
from routing.destinations import StaticDirectory
from routing.payloads import PayloadStore
from routing.retry import RetryPolicy
from routing.topics import TopicLayout, ensure_topics
from routing.workers import WorkerRole, run_roles
from tests.support.bus import Bus


@pytest.fixture
async def bus(
    kafka_bootstrap: str, topic_prefix: str, pg_engine: AsyncEngine
) -> AsyncIterator[Bus]:
    layout = TopicLayout(
        prefix=topic_prefix, partitions=2,
        retry_delays=(timedelta(seconds=1), timedelta(seconds=2)),
    )  # fmt: skip
    await ensure_topics(kafka_bootstrap, layout.all())
    await upgrade(pg_engine)  # the tables exactly as a node gets them
    sessions = session_factory(pg_engine)
    directory = StaticDirectory()
    context = DeliveryContext(
        sessions=sessions, payloads=PayloadStore(sessions), directory=directory, layout=layout,
        node_id="test-node", policy=RetryPolicy(delays=layout.retry_delays,
                                                horizon=timedelta(seconds=6)),
    )  # fmt: skip
    producer = make_producer(kafka_bootstrap, client_id="test", transactional_id=topic_prefix)
    await producer.start()
    try:
        yield Bus(layout, sessions, directory, context, producer, kafka_bootstrap, RecordCodec())
    finally:
        await producer.stop()


@pytest.fixture
async def workers(bus: Bus) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    roles = [WorkerRole.DELIVER, WorkerRole.RETRY, WorkerRole.TRACK]
    task = asyncio.create_task(run_roles(bus.bootstrap, bus.context, roles, stop))
    yield stop
    stop.set()
    await task
