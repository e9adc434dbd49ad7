"""R2 in small, on a broker of this test's own: the single broker stopped for 20-30 s in the middle
of a stream of submissions, five times. Each time the node (never restarted) delivers again on
its own, everything accepted lands once, and the node's health says not ready whenever a
worker was stuck (what `/readyz` reports under `workers`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.broker.assembly import ensure_release
from axis.broker.cluster import LocalCluster
from axis.broker.layout import ClusterLayout
from axis.settings import DEFAULT_KAFKA_VERSION, default_cache_dir
from tests.conftest import _free_port_pair
from tests.support.bus import eventually
from tests.support.packets import document
from tests.support.running_node import G22, H41, NodePlace, Running, running_node

pytestmark = pytest.mark.integration

DOWN_SECONDS = (20, 25, 30, 22, 27)
STALL_SECONDS = 5.0


async def test_delivery_resumes_on_its_own_after_each_broker_restart(
    pg_engine: AsyncEngine, postgres_url: str, topic_prefix: str, tmp_path: Path
) -> None:
    release = ensure_release(default_cache_dir(), DEFAULT_KAFKA_VERSION)
    cluster = LocalCluster(
        ClusterLayout(root=tmp_path / "kafka", host="127.0.0.1", port=_free_port_pair(),
                      node_count=1)
    )  # fmt: skip
    await cluster.start(release, heap="512m", timeout=120)
    try:
        place = NodePlace(
            pg_engine, postgres_url, cluster.layout.bootstrap, topic_prefix, tmp_path / "node"
        )
        async with running_node(
            place, push_endpoint="http://127.0.0.1:9/", worker_stall_seconds=STALL_SECONDS,
        ) as running:  # fmt: skip
            await _restarts(running, cluster, release)
    finally:
        cluster.stop(purge=True)


async def _restarts(running: Running, cluster: LocalCluster, release: object) -> None:
    accepted: list[UUID] = []
    number = iter(range(1, 100_000))
    stop = asyncio.Event()

    async def stream() -> None:  # a DMS sending all along; refused while the broker is away
        while not stop.is_set():
            try:
                _, result = await running.send(G22, document(G22, [H41], next(number)))
                accepted.append(result.message_id)
            except Exception:
                await asyncio.sleep(0.5)
            await asyncio.sleep(0.1)

    async def landed_ids() -> Counter[UUID]:
        items = await running.node.mailbox.list([H41], limit=100_000)
        return Counter(item.message_id for item in items)

    sender = asyncio.create_task(stream())
    samples: list[tuple[float, bool, int, int]] = []  # (time, healthy, accepted, landed)
    try:
        for down in DOWN_SECONDS:
            before = len(accepted)
            await running.until(
                lambda before=before: _more(accepted, before + 3), "a few packets accepted"
            )
            cluster.stop()
            await asyncio.sleep(down)
            await cluster.start(release, heap="512m", timeout=120)  # type: ignore[arg-type]
            back = time.monotonic()
            accepted_then = len(accepted)

            async def moving(accepted_then: int = accepted_then, back: float = back) -> bool:
                landed = await landed_ids()
                samples.append((time.monotonic() - back, running.node.health.ok,
                                len(accepted), len(landed)))  # fmt: skip
                after = [m for m in accepted[accepted_then:] if m in landed]
                return len(after) >= 3  # packets sent after the restart are delivered

            await eventually(moving, timeout=120, what=f"delivery after a {down} s broker outage")

            async def healthy() -> bool:
                return running.node.health.ok

            await eventually(healthy, timeout=120, what="every worker moving again")
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await sender

    async def all_landed() -> bool:
        return set(accepted) <= set(await landed_ids())

    await running.until(all_landed, "every accepted packet in the inbox")
    landed = await landed_ids()
    assert all(count == 1 for count in landed.values())  # once each
    assert set(landed) == set(accepted)  # nothing lost, nothing that was not accepted
    # Still not delivering long after the broker came back (more than the stall time a worker
    # needs to notice, and the same again to rebuild) means stuck: the node must not have said
    # it was ready then.
    stuck_and_ready = [sample for sample in samples if sample[0] > 6 * STALL_SECONDS and sample[1]]
    assert not stuck_and_ready, (stuck_and_ready, running.node.health.report())


async def _more(items: list[UUID], count: int) -> bool:
    await asyncio.sleep(0)
    return len(items) >= count
