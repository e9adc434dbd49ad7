"""The topics of an axis: their names, partitioning and settings, and creating them at start.

Deliveries (documents and status packets alike) are keyed by recipient code, so each agency's
deliveries stay in one partition and in order. Retries wait on one topic per delay tier instead
of sleeping in the main consumer; what exhausts its tiers goes to the dead-letter topic. The
registry topic is compacted: the newest record per key is kept forever. The binding topic holds
which database the bus belongs to (`routing.binding`): every record, kept forever, in order.
The registry-heartbeat topic holds the registry authority's latest heartbeat (one key,
compacted; `orgcodes.heartbeat`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

_DAY_MS = 24 * 3600 * 1000


class TopicRole(str, Enum):
    DELIVERIES = "deliveries"
    RETRY = "retry"
    DEAD_LETTERS = "dead-letters"
    TRACKING = "tracking"
    REGISTRY = "registry"
    BINDING = "binding"
    HEARTBEAT = "registry-heartbeat"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    role: TopicRole
    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = field(default_factory=dict)
    delay: timedelta | None = None
    """For a retry tier: how long a record waits there before its next attempt."""


def tier_label(delay: timedelta) -> str:
    """A short, stable label for a delay: 30s, 5m, 1h, 6h, 2d."""
    seconds = int(delay.total_seconds())
    if seconds <= 0:
        raise ValueError(f"a retry delay must be positive, got {delay}")
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True, slots=True)
class TopicLayout:
    """Every topic of one axis, derived from a handful of settings (pure: no broker needed)."""

    prefix: str
    partitions: int = 6
    replication_factor: int = 1
    retry_delays: tuple[timedelta, ...] = (
        timedelta(seconds=30),
        timedelta(minutes=5),
        timedelta(hours=1),
        timedelta(hours=6),
    )
    delivery_retention: timedelta = timedelta(days=14)
    dead_letter_retention: timedelta = timedelta(days=90)

    def __post_init__(self) -> None:
        if self.partitions < 1 or self.replication_factor < 1:
            raise ValueError("partitions and replication factor must be at least 1")
        labels = [tier_label(d) for d in self.retry_delays]
        if len(set(labels)) != len(labels):
            raise ValueError(f"retry delays must differ, got {', '.join(labels)}")

    def _spec(
        self,
        role: TopicRole,
        suffix: str,
        configs: Mapping[str, str],
        *,
        partitions: int | None = None,
        delay: timedelta | None = None,
    ) -> TopicSpec:
        # With three or more replicas, acks=all must survive one broker down (min ISR 2).
        settings = dict(configs)
        if self.replication_factor >= 3:
            settings["min.insync.replicas"] = "2"
        return TopicSpec(
            role,
            self.prefix + suffix,
            partitions or self.partitions,
            self.replication_factor,
            settings,
            delay,
        )

    @property
    def deliveries(self) -> TopicSpec:
        return self._spec(
            TopicRole.DELIVERIES, "deliveries", self._retention(self.delivery_retention)
        )

    @property
    def retries(self) -> tuple[TopicSpec, ...]:
        # A record waits in a tier at most its delay; keep it well beyond that plus outages.
        return tuple(
            self._spec(
                TopicRole.RETRY,
                f"retry-{tier_label(delay)}",
                self._retention(max(delay * 4, self.delivery_retention)),
                delay=delay,
            )
            for delay in self.retry_delays
        )

    @property
    def dead_letters(self) -> TopicSpec:
        return self._spec(
            TopicRole.DEAD_LETTERS, "dead-letters", self._retention(self.dead_letter_retention)
        )

    @property
    def tracking(self) -> TopicSpec:
        return self._spec(TopicRole.TRACKING, "tracking", self._retention(self.delivery_retention))

    @property
    def registry(self) -> TopicSpec:
        # One partition: change sets are applied in version order by every node.
        return self._spec(
            TopicRole.REGISTRY,
            "registry",
            # A change set can be large (a whole directory imported at once): 64 MiB.
            {"cleanup.policy": "compact", "retention.ms": "-1", "max.message.bytes": "67108864"},
            partitions=1,
        )

    @property
    def binding(self) -> TopicSpec:
        # One partition: its order decides which claim won. Deleted never, compacted never (a
        # compaction keeps a repeated key's newest record, which could reorder the claims).
        return self._spec(
            TopicRole.BINDING,
            "binding",
            {"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"},
            partitions=1,
        )

    @property
    def heartbeat(self) -> TopicSpec:
        # One partition, one key, compacted: the authority's latest heartbeat is what counts.
        return self._spec(
            TopicRole.HEARTBEAT,
            "registry-heartbeat",
            {"cleanup.policy": "compact", "retention.ms": "-1"},
            partitions=1,
        )

    def all(self) -> tuple[TopicSpec, ...]:
        return (
            self.deliveries,
            *self.retries,
            self.dead_letters,
            self.tracking,
            self.registry,
            self.binding,
            self.heartbeat,
        )

    @staticmethod
    def _retention(period: timedelta) -> dict[str, str]:
        return {"cleanup.policy": "delete", "retention.ms": str(int(period.total_seconds() * 1000))}


@dataclass(frozen=True, slots=True)
class TopicCheck:
    spec: TopicSpec
    created: bool
    problem: str | None = None


class TopicSetupError(Exception):
    """A topic exists with settings the node cannot work with; the message says which."""


async def ensure_topics(bootstrap: str, specs: tuple[TopicSpec, ...]) -> list[TopicCheck]:
    """Create the topics that are missing and check the ones that exist.

    Safe to run from several nodes at once: a topic created by another node in between counts
    as existing. Raises TopicSetupError when an existing topic would break ordering or
    compaction (fewer partitions than asked is only reported: it still works).
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        checks: list[TopicCheck] = []
        for spec in specs:
            if spec.name not in existing:
                try:
                    await admin.create_topics(
                        [
                            NewTopic(
                                spec.name,
                                num_partitions=spec.partitions,
                                replication_factor=spec.replication_factor,
                                topic_configs=dict(spec.configs),
                            )
                        ]
                    )
                    checks.append(TopicCheck(spec, created=True))
                    continue
                except TopicAlreadyExistsError:
                    pass
            checks.append(await _check_existing(admin, spec))
        return checks
    finally:
        await admin.close()


async def _check_existing(admin: AIOKafkaAdminClient, spec: TopicSpec) -> TopicCheck:
    (description,) = await admin.describe_topics([spec.name])
    partitions = len(description["partitions"])
    (response,) = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=None)]
    )
    actual = {entry[0]: entry[1] for entry in response.resources[0][4]}
    wanted_policy = spec.configs.get("cleanup.policy")
    if wanted_policy and actual.get("cleanup.policy") != wanted_policy:
        raise TopicSetupError(
            f"topic {spec.name} exists with cleanup.policy={actual.get('cleanup.policy')}, "
            f"the node needs {wanted_policy}; delete it or alter its configuration"
        )
    problem = None
    if partitions < spec.partitions:
        problem = (
            f"has {partitions} partitions, {spec.partitions} configured: "
            "fewer consumers can share the work"
        )
    return TopicCheck(spec, created=False, problem=problem)
