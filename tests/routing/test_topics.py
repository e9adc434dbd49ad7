"""The topic catalogue: names and settings (pure), and creating them on the real broker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from routing.topics import TopicLayout, TopicRole, TopicSetupError, ensure_topics, tier_label


def test_every_topic_carries_the_prefix_and_retry_tiers_are_named_by_delay() -> None:
    layout = TopicLayout(prefix="axis.")
    names = [spec.name for spec in layout.all()]
    assert names == [
        "axis.deliveries", "axis.retry-30s", "axis.retry-5m", "axis.retry-1h", "axis.retry-6h",
        "axis.dead-letters", "axis.tracking", "axis.registry", "axis.binding",
        "axis.registry-heartbeat",
    ]  # fmt: skip
    assert [spec.delay for spec in layout.retries] == list(layout.retry_delays)
    assert {spec.role for spec in layout.retries} == {TopicRole.RETRY}


def test_registry_is_one_compacted_partition_kept_forever() -> None:
    registry = TopicLayout(prefix="p.", partitions=12).registry
    assert registry.partitions == 1
    assert registry.configs == {
        "cleanup.policy": "compact",
        "retention.ms": "-1",
        "max.message.bytes": "67108864",
    }


def test_the_binding_is_one_partition_never_deleted_nor_compacted() -> None:
    binding = TopicLayout(prefix="p.", partitions=12).binding
    assert (binding.name, binding.partitions) == ("p.binding", 1)
    assert binding.configs == {
        "cleanup.policy": "delete",
        "retention.ms": "-1",
        "retention.bytes": "-1",
    }


def test_replicated_layout_asks_two_in_sync_replicas() -> None:
    single = TopicLayout(prefix="p.").deliveries
    replicated = TopicLayout(prefix="p.", replication_factor=3).deliveries
    assert "min.insync.replicas" not in single.configs
    assert replicated.configs["min.insync.replicas"] == "2"
    assert replicated.replication_factor == 3


def test_retry_topics_keep_records_longer_than_their_delay() -> None:
    layout = TopicLayout(prefix="p.", retry_delays=(timedelta(days=10),))
    (tier,) = layout.retries
    assert int(tier.configs["retention.ms"]) >= 4 * 10 * 86400 * 1000


@pytest.mark.parametrize(
    ("delay", "label"),
    [(timedelta(seconds=30), "30s"), (timedelta(minutes=5), "5m"), (timedelta(hours=6), "6h"),
     (timedelta(days=2), "2d"), (timedelta(seconds=90), "90s")],
)  # fmt: skip
def test_tier_labels(delay: timedelta, label: str) -> None:
    assert tier_label(delay) == label


def test_bad_layouts_are_refused() -> None:
    with pytest.raises(ValueError, match="must differ"):
        TopicLayout(prefix="p.", retry_delays=(timedelta(seconds=60), timedelta(minutes=1)))
    with pytest.raises(ValueError, match="at least 1"):
        TopicLayout(prefix="p.", partitions=0)
    with pytest.raises(ValueError, match="positive"):
        tier_label(timedelta(0))


@pytest.mark.integration
async def test_topics_are_created_once_and_their_settings_hold(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    layout = TopicLayout(prefix=topic_prefix, partitions=3)
    first = await ensure_topics(kafka_bootstrap, layout.all())
    assert all(check.created for check in first)
    again = await ensure_topics(kafka_bootstrap, layout.all())
    assert not any(check.created for check in again)
    assert all(check.problem is None for check in again)

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        (deliveries,) = await admin.describe_topics([layout.deliveries.name])
        (response,) = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, layout.registry.name, configs=None)]
        )
    finally:
        await admin.close()
    assert len(deliveries["partitions"]) == 3
    configs = {entry[0]: entry[1] for entry in response.resources[0][4]}
    assert configs["cleanup.policy"] == "compact"


@pytest.mark.integration
async def test_an_existing_registry_topic_that_is_not_compacted_is_refused(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    layout = TopicLayout(prefix=topic_prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(layout.registry.name, 1, 1)])
    finally:
        await admin.close()
    with pytest.raises(TopicSetupError, match=r"cleanup\.policy=delete"):
        await ensure_topics(kafka_bootstrap, (layout.registry,))


@pytest.mark.integration
async def test_fewer_partitions_than_configured_is_reported_not_fatal(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    await ensure_topics(kafka_bootstrap, (TopicLayout(prefix=topic_prefix, partitions=1).tracking,))
    (check,) = await ensure_topics(
        kafka_bootstrap, (TopicLayout(prefix=topic_prefix, partitions=4).tracking,)
    )
    assert not check.created
    assert check.problem is not None and "has 1 partitions, 4 configured" in check.problem
