"""How the node's parts are built from its settings (one place, used by the CLI and `serve`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiokafka import AIOKafkaProducer
from cryptography import x509
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.settings import Settings
from axis.store.db import database_unavailable, make_engine
from orgcodes.service import RegistryService
from orgcodes.sync import (
    FileSnapshotSource,
    HeartbeatFollower,
    HeartbeatPublisher,
    RegistryFollower,
    RegistryPublisher,
)
from routing.bus import make_producer, transactional_id
from routing.retry import RetryPolicy
from routing.topics import TopicLayout
from signing.algorithms import AlgorithmPolicy
from signing.certificates import load_certificate, load_certificates, load_private_key


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


def algorithm_policy(settings: Settings) -> AlgorithmPolicy:
    return AlgorithmPolicy(legacy_sha1=settings.signature_legacy_sha1)


def registry_publisher(settings: Settings, service: RegistryService) -> RegistryPublisher:
    """The authority's publisher of applied versions to the registry topic."""
    topic = topic_layout(settings).registry.name
    return RegistryPublisher(service, settings.kafka_bootstrap, topic)


def registry_follower(settings: Settings, service: RegistryService) -> RegistryFollower:
    """A follower of the registry topic, resyncing from the configured snapshot source."""
    source = settings.registry_snapshot_source
    return RegistryFollower(
        service,
        settings.kafka_bootstrap,
        topic_layout(settings).registry.name,
        snapshots=FileSnapshotSource(Path(source)) if source else None,
        authorities=registry_authorities(settings),
        waits=database_unavailable,
    )


def heartbeat_publisher(settings: Settings, service: RegistryService) -> HeartbeatPublisher:
    """The authority's heartbeat, signed with its registry key when it holds one."""
    signer = None
    if settings.registry_key is not None and settings.registry_cert is not None:
        signer = (load_private_key(settings.registry_key), load_certificate(settings.registry_cert))
    topic = topic_layout(settings).heartbeat.name
    return HeartbeatPublisher(service, settings.kafka_bootstrap, topic, settings.node_id, signer)


def heartbeat_follower(settings: Settings, service: RegistryService) -> HeartbeatFollower:
    """A follower's check of the authority's heartbeats (against AXIS_REGISTRY_AUTHORITY_CERT)."""
    topic = topic_layout(settings).heartbeat.name
    return HeartbeatFollower(
        service, settings.kafka_bootstrap, topic, authorities=registry_authorities(settings)
    )


def registry_authorities(settings: Settings) -> list[x509.Certificate]:
    """The certificates a registry snapshot must be signed by (none configured: none)."""
    if not settings.registry_authority_cert:
        return []
    return load_certificates(settings.registry_authority_cert)


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(settings.database_url, schema=settings.database_schema)
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
