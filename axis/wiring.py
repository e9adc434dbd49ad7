"""How the node's parts are built from its settings (one place, used by the CLI and `serve`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.db import make_engine
from axis.settings import Settings
from routing.bus import make_producer, transactional_id
from routing.retry import RetryPolicy
from routing.topics import TopicLayout


def topic_layout(settings: Settings) -> TopicLayout:
    return TopicLayout(
        prefix=settings.topic_prefix,
        partitions=settings.partitions,
        replication_factor=settings.replication_factor,
        retry_delays=settings.retry_delay_values,
        delivery_retention=settings.delivery_retention_value,
    )


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(delays=settings.retry_delay_values, horizon=settings.retry_horizon_value)


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(settings.database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def transactional_producer(settings: Settings, role: str) -> AsyncIterator[AIOKafkaProducer]:
    """A started transactional producer for one-off work (an operator's replay)."""
    producer = make_producer(
        settings.kafka_bootstrap,
        client_id=f"axis-{settings.node_id}-{role}",
        transactional_id=transactional_id(settings.topic_prefix, role, settings.node_id),
    )
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()
