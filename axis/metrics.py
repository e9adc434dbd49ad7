"""Prometheus metrics of a node, read at scrape time from what every process shares.

Counts come from the tracking tables and the dead-letter projection rather than from counters in
one process's memory: a node runs as several processes (`axis serve`, `axis worker ...`), any of
them may be scraped, and each must tell the same truth. Consumer lag is read from Kafka (the
committed offsets of the node's consumer groups against the topics' end offsets). A scrape is
cached for `CACHE_SECONDS` so a busy scraper does not load the database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from axis.node.assembly import Node
from axis.services.certificate_expiry import expiring
from orgcodes.tables import registry_versions
from routing.dead_letters import dead_letters
from routing.lifecycle import TERMINAL
from routing.tracking import deliveries, messages, timeline
from routing.workers import Groups, WorkerRole

CACHE_SECONDS = 5.0
LAG_TIMEOUT = 5.0


@dataclass(slots=True)
class Figures:
    submitted: dict[str, int] = field(default_factory=dict)
    delivered: int = 0
    failed: int = 0
    dead_lettered: int = 0
    retries: dict[int, int] = field(default_factory=dict)
    phases: dict[str, int] = field(default_factory=dict)
    dead_letter_depth: int = 0
    oldest_pending_seconds: float = 0.0
    registry_version: int = 0
    registry_age_seconds: float | None = None
    lag: dict[str, int] = field(default_factory=dict)
    propagation_seconds: list[float] = field(default_factory=list)
    """Per registry version this node applied from the topic: authority publish -> applied."""
    heartbeat_age_seconds: float | None = None
    certificates_expiring: int = 0
    """Trust-store certificates expiring within the warning period, not yet expired."""
    certificates_expired: int = 0
    """Trust-store certificates past their end that are still in the store (not revoked)."""


async def _count_by(session: AsyncSession, column: object, table: object) -> dict[str, int]:
    rows = await session.execute(select(column, func.count()).select_from(table).group_by(column))  # type: ignore[call-overload]
    return {str(key): int(count) for key, count in rows}


async def gather(node: Node, *, now: datetime | None = None) -> Figures:
    now = now or datetime.now(UTC)
    figures = Figures()
    async with node.sessions() as session:
        figures.submitted = await _count_by(session, messages.c.kind, messages)
        events = await _count_by(session, timeline.c.event, timeline)
        figures.delivered = events.get("delivered", 0)
        figures.failed = events.get("failed", 0)
        figures.dead_lettered = events.get("dead_lettered", 0)
        retries = await session.execute(
            select(timeline.c.attempt, func.count())
            .where(timeline.c.event == "retry_scheduled")
            .group_by(timeline.c.attempt)
        )
        figures.retries = {int(attempt): int(count) for attempt, count in retries}
        figures.phases = await _count_by(session, deliveries.c.phase, deliveries)
        figures.dead_letter_depth = int(
            await session.scalar(
                select(func.count()).select_from(dead_letters)
                .where(dead_letters.c.replayed_at.is_(None))
            ) or 0
        )  # fmt: skip
        oldest = await session.scalar(
            select(func.min(deliveries.c.created_at)).where(
                deliveries.c.phase.not_in([p.value for p in TERMINAL])
            )
        )
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
        figures.oldest_pending_seconds = max(0.0, (now - oldest).total_seconds())
    warning = timedelta(days=node.settings.certificate_warning_days)
    soon = await expiring(node.sessions, within=warning, now=now)
    figures.certificates_expired = sum(1 for e in soon if e.not_after <= now)
    figures.certificates_expiring = len(soon) - figures.certificates_expired
    status = await node.registry.status(
        node.settings.registry_max_age_value, node.settings.heartbeat_limits
    )
    if status.heartbeat_at is not None:
        figures.heartbeat_age_seconds = max(0.0, (now - status.heartbeat_at).total_seconds())
    async with node.sessions() as session:
        propagated = await session.execute(
            select(registry_versions.c.applied_at_ms - registry_versions.c.published_at_ms).where(
                registry_versions.c.source == "kafka",
                registry_versions.c.published_at_ms.is_not(None),
            )
        )
        figures.propagation_seconds = [max(0, int(ms)) / 1000 for (ms,) in propagated]
    figures.registry_version = status.version
    figures.registry_age_seconds = status.age.total_seconds() if status.age else None
    try:
        figures.lag = await asyncio.wait_for(consumer_lag(node), LAG_TIMEOUT)
    except Exception:  # the broker may be away: report what the database says
        figures.lag = {}
    return figures


async def consumer_lag(node: Node) -> dict[str, int]:
    """Per consumer group of this axis: records on its topics not yet consumed."""
    bootstrap = node.settings.kafka_bootstrap
    groups = Groups(node.layout.prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="axis-metrics")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, client_id="axis-metrics")
    await admin.start()
    await consumer.start()
    try:
        lag: dict[str, int] = {}
        for role in WorkerRole:
            committed = await admin.list_consumer_group_offsets(groups.of(role))
            partitions: Sequence[TopicPartition] = list(committed)
            if not partitions:
                continue
            ends = await consumer.end_offsets(partitions)
            lag[role.value] = sum(
                max(0, ends[tp] - meta.offset) for tp, meta in committed.items() if meta.offset >= 0
            )
        return lag
    finally:
        await consumer.stop()
        await admin.close()


class _Figures(Collector):
    def __init__(self, figures: Figures) -> None:
        self._figures = figures

    def collect(self) -> Iterable[Metric]:
        f = self._figures
        submitted = CounterMetricFamily(
            "axis_packets_submitted", "Packets accepted by the node, by kind.", labels=["kind"]
        )
        for kind, count in sorted(f.submitted.items()):
            submitted.add_metric([kind], count)
        yield submitted
        yield CounterMetricFamily(
            "axis_deliveries_delivered", "Deliveries placed in an inbox or pushed.",
            value=f.delivered,
        )  # fmt: skip
        yield CounterMetricFamily(
            "axis_deliveries_failed", "Deliveries that failed for good (rejected, refused).",
            value=f.failed,
        )  # fmt: skip
        yield CounterMetricFamily(
            "axis_deliveries_dead_lettered", "Deliveries dead-lettered after the retry horizon.",
            value=f.dead_lettered,
        )  # fmt: skip
        retries = CounterMetricFamily(
            "axis_delivery_retries",
            "Retries scheduled, by retry tier (1 = first delay).",
            labels=["tier"],
        )
        for attempt, count in sorted(f.retries.items()):
            retries.add_metric([str(attempt)], count)
        yield retries
        phases = GaugeMetricFamily(
            "axis_deliveries", "Tracked deliveries by phase now.", labels=["phase"]
        )
        for phase, count in sorted(f.phases.items()):
            phases.add_metric([phase], count)
        yield phases
        yield GaugeMetricFamily(
            "axis_dead_letters_depth", "Dead letters not replayed.", value=f.dead_letter_depth
        )
        yield GaugeMetricFamily(
            "axis_oldest_pending_seconds",
            "Age of the oldest delivery not yet finished (0 when none).",
            value=f.oldest_pending_seconds,
        )
        yield GaugeMetricFamily(
            "axis_registry_version", "The registry version this node holds.",
            value=f.registry_version,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "axis_registry_age_seconds",
            "Seconds since the registry was last known current (-1: never synced).",
            value=f.registry_age_seconds if f.registry_age_seconds is not None else -1,
        )
        yield _histogram(
            "axis_registry_propagation_seconds",
            "Registry versions applied from the topic, by time from the authority's publishing "
            "to this node applying them.",
            f.propagation_seconds,
        )
        yield GaugeMetricFamily(
            "axis_registry_heartbeat_age_seconds",
            "Seconds since the registry authority sent the last heartbeat this node checked "
            "(-1: none yet, or not a follower).",
            value=f.heartbeat_age_seconds if f.heartbeat_age_seconds is not None else -1,
        )
        yield GaugeMetricFamily(
            "axis_trust_certificates_expiring",
            "Trust-store certificates expiring within AXIS_CERTIFICATE_WARNING_DAYS.",
            value=f.certificates_expiring,
        )
        yield GaugeMetricFamily(
            "axis_trust_certificates_expired",
            "Trust-store certificates past their end, still in the store (not revoked).",
            value=f.certificates_expired,
        )
        lag = GaugeMetricFamily(
            "axis_consumer_lag", "Records not yet consumed, by worker role.", labels=["role"]
        )
        for role, count in sorted(f.lag.items()):
            lag.add_metric([role], count)
        yield lag


PROPAGATION_BUCKETS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


def _histogram(name: str, documentation: str, values: Sequence[float]) -> Metric:
    buckets = [(str(le), sum(1 for v in values if v <= le)) for le in PROPAGATION_BUCKETS]
    buckets.append(("+Inf", len(values)))
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=sum(values))


def render(figures: Figures) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(figures))
    return generate_latest(registry)


class Scraper:
    """Renders the metrics, at most once per `CACHE_SECONDS`."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._lock = asyncio.Lock()
        self._at = 0.0
        self._body = b""

    async def scrape(self) -> bytes:
        async with self._lock:
            if time.monotonic() - self._at >= CACHE_SECONDS or not self._body:
                self._body = render(await gather(self._node))
                self._at = time.monotonic()
            return self._body
