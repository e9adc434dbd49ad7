"""Two nodes against one real broker: what the authority applies reaches the follower, a
follower that was down catches up, and a follower facing a gap resyncs from a signed snapshot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from axis.migrations.runner import upgrade
from axis.store.db import make_engine, session_factory
from orgcodes.service import RegistryService
from orgcodes.snapshot import write_snapshot
from orgcodes.sync import FileSnapshotSource, RegistryFollower, RegistryPublisher
from routing.topics import TopicLayout, ensure_topics
from tests.orgcodes.test_registry import COMMUNE_B, LONG_AN, TAY_NINH, change_set, rearrangement
from tests.orgcodes.test_store import _baseline_set
from tests.support.pki import Pki

pytestmark = pytest.mark.integration


@asynccontextmanager
async def node(path: Path) -> AsyncIterator[RegistryService]:
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    service = RegistryService(session_factory(engine))
    await service.load()
    try:
        yield service
    finally:
        await engine.dispose()


@asynccontextmanager
async def following(follower: RegistryFollower) -> AsyncIterator[RegistryFollower]:
    stopping = asyncio.Event()
    task = asyncio.create_task(follower.run(stopping))
    try:
        yield follower
    finally:
        stopping.set()
        await asyncio.wait_for(task, 30)


async def eventually(check: Callable[[], Awaitable[bool] | bool], what: str) -> None:
    for _ in range(300):
        result = check()
        if result if isinstance(result, bool) else await result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within 15 s: {what}")


async def _topic(bootstrap: str, prefix: str) -> str:
    spec = TopicLayout(prefix=prefix).registry
    await ensure_topics(bootstrap, (spec,))
    return spec.name


async def test_a_change_reaches_the_other_node_and_a_restarted_node_catches_up(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    topic = await _topic(kafka_bootstrap, topic_prefix)
    async with node(tmp_path / "authority.db") as authority, node(tmp_path / "b.db") as other:
        publisher = RegistryPublisher(authority, kafka_bootstrap, topic)
        follower = RegistryFollower(other, kafka_bootstrap, topic)
        async with following(follower):
            await authority.apply(_baseline_set(), actor="vpcp")
            assert await publisher.publish_pending() == [1]
            await eventually(lambda: other.version == 1, "version 1 on the other node")
            assert other.resolve(LONG_AN).outcome.value == "active"
            status = await other.status(max_age=timedelta(minutes=5))
            assert (status.version, status.degraded, status.source) == (1, False, "kafka")
            (applied,) = await other.versions()
            published = (await authority.versions())[0].published_at
            assert published is not None and applied.published_at is not None
            assert abs(applied.published_at - published) < timedelta(seconds=1)  # propagation

        # The other node is down while two change sets are applied and published.
        await authority.apply(rearrangement(), actor="vpcp")
        await authority.apply(
            change_set({"op": "rename", "code": TAY_NINH, "name": "UBND tỉnh Tây Ninh (mới)"},
                       effective="2025-08-01T00:00:00+07:00"), actor="vpcp",
        )  # fmt: skip
        assert await publisher.publish_pending() == [2, 3]
        assert await publisher.publish_pending() == []  # the outbox is empty now

    async with node(tmp_path / "b.db") as restarted:
        assert restarted.version == 1
        async with following(RegistryFollower(restarted, kafka_bootstrap, topic)) as again:
            await asyncio.wait_for(again.caught_up.wait(), 30)
            assert restarted.version == 3
            assert restarted.resolve(LONG_AN).target == TAY_NINH
            assert restarted.registry.get(TAY_NINH).name == "UBND tỉnh Tây Ninh (mới)"  # type: ignore[union-attr]


async def test_a_gap_in_versions_is_closed_from_the_signed_snapshot(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path, pki: Pki
) -> None:
    topic = await _topic(kafka_bootstrap, topic_prefix)
    async with node(tmp_path / "authority.db") as authority, node(tmp_path / "c.db") as late:
        await authority.apply(_baseline_set(), actor="vpcp")
        async with authority.sessions.begin() as session:  # version 1 never reaches the topic
            await authority.store.mark_published(session, 1, authority.clock())
        await authority.apply(rearrangement(), actor="vpcp")
        snapshot = tmp_path / "snapshots" / "registry-snapshot.json"
        snapshot.parent.mkdir()
        snapshot.write_bytes(write_snapshot(authority.registry, key=pki.g22.key,
                                            certificate=pki.g22.certificate,
                                            created_at=authority.clock()))  # fmt: skip
        assert await RegistryPublisher(authority, kafka_bootstrap, topic).publish_pending() == [2]
        await authority.apply(
            change_set(
                {"op": "rename", "code": TAY_NINH, "name": "Tây Ninh"},
                effective="2025-08-01T00:00:00+07:00",
            ),
            actor="vpcp",
        )
        assert await RegistryPublisher(authority, kafka_bootstrap, topic).publish_pending() == [3]

        follower = RegistryFollower(
            late, kafka_bootstrap, topic, snapshots=FileSnapshotSource(snapshot.parent),
            authorities=[pki.g22.certificate],
        )  # fmt: skip
        async with following(follower):
            await asyncio.wait_for(follower.caught_up.wait(), 30)
        assert late.version == 3
        assert late.resolve(LONG_AN).target == TAY_NINH
        assert late.resolve(COMMUNE_B).outcome.value == "redirected"  # merged in 2025 already
        status = await late.status(max_age=timedelta(minutes=5))
        assert status.version == 3


async def test_without_a_snapshot_source_a_gap_leaves_the_node_where_it_was(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    topic = await _topic(kafka_bootstrap, topic_prefix)
    async with node(tmp_path / "authority.db") as authority, node(tmp_path / "d.db") as late:
        await authority.apply(_baseline_set(), actor="vpcp")
        async with authority.sessions.begin() as session:
            await authority.store.mark_published(session, 1, authority.clock())
        await authority.apply(rearrangement(), actor="vpcp")
        await RegistryPublisher(authority, kafka_bootstrap, topic).publish_pending()
        follower = RegistryFollower(late, kafka_bootstrap, topic, poll_ms=100)
        async with following(follower):
            await asyncio.sleep(2)
        assert late.version == 0
        assert not follower.caught_up.is_set()
