"""Registry liveness on a follower (issue 18): with the authority's heartbeat gone, the node
reports its registry degraded, then refuses what it can no longer answer for sure, and recovers
when the heartbeat returns. Real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from axis.node.parts import heartbeat_follower, topic_layout
from envelopes.records import RecordCodec
from orgcodes.heartbeat import Liveness, make_heartbeat
from orgcodes.sync import HeartbeatPublisher
from routing.outcomes import RouteOutcome, SubmissionRefused
from signing.certificates import load_certificate, load_private_key
from tests.support.bus import eventually
from tests.support.packets import document
from tests.support.running_node import G22, H41, H99, NodePlace, Running, running_node

pytestmark = pytest.mark.integration

DEGRADED, STALE = timedelta(seconds=2), timedelta(seconds=4)


@pytest.fixture
async def follower(
    node_place: NodePlace,
) -> AsyncIterator[Running]:
    """A node following the registry; G22's development certificate stands for the registry
    authority's (written by the node's PKI before the node starts)."""
    authority_cert = node_place.directory / "pki" / f"{G22}.pem"
    async with running_node(
        node_place, push_endpoint="http://127.0.0.1:9/x",
        registry_mode="follower", registry_authority_cert=authority_cert,
        registry_heartbeat_degraded="2s", registry_heartbeat_stale="4s",
    ) as running:  # fmt: skip
        stop = asyncio.Event()
        task = asyncio.create_task(
            heartbeat_follower(running.node.settings, running.node.registry).run(stop)
        )
        try:
            yield running
        finally:
            stop.set()
            await task


def authority(running: Running) -> HeartbeatPublisher:
    settings = running.node.settings
    signer = (
        load_private_key(running.pki / f"{G22}.key"),
        load_certificate(running.pki / f"{G22}.pem"),
    )
    topic = topic_layout(settings).heartbeat.name
    return HeartbeatPublisher(running.node.registry, settings.kafka_bootstrap, topic, "gov", signer)


async def liveness(running: Running) -> Liveness | None:
    node = running.node
    status = await node.registry.status(
        node.settings.registry_max_age_value, node.settings.heartbeat_limits
    )
    return status.liveness


async def becomes(running: Running, wanted: Liveness) -> None:
    async def there() -> bool:
        return await liveness(running) is wanted

    await eventually(there, what=f"the registry {wanted.value}")


async def test_a_dead_authority_degrades_then_stales_the_follower_until_it_beats_again(
    follower: Running,
) -> None:
    beats = authority(follower)
    stop = asyncio.Event()
    beating = asyncio.create_task(beats.run(stop, 0.5))
    await becomes(follower, Liveness.CURRENT)
    _, sure = await follower.send(G22, document(G22, [H41, H99], 1))
    assert {o.addressed: o.reason_code for o in sure.recipients} == {
        H41: None, H99: "REGISTRY_UNKNOWN_CODE",
    }  # fmt: skip

    stop.set()  # the authority dies
    await beating
    await becomes(follower, Liveness.DEGRADED)
    status = await follower.node.registry.status(
        timedelta(hours=1), follower.node.settings.heartbeat_limits
    )
    assert status.degraded and status.as_json()["liveness"] == "degraded"
    _, still = await follower.send(G22, document(G22, [H99], 2))  # degraded: still answers
    assert [o.reason_code for o in still.recipients] == ["REGISTRY_UNKNOWN_CODE"]

    await becomes(follower, Liveness.STALE)
    with pytest.raises(SubmissionRefused) as unsure:
        await follower.send(G22, document(G22, [H41, H99], 3))
    assert unsure.value.code == "REGISTRY_STALE" and unsure.value.busy
    assert H99 in unsure.value.message
    _, routed = await follower.send(G22, document(G22, [H41], 4))  # what it can route, it routes
    assert [o.outcome for o in routed.recipients] == [RouteOutcome.ROUTED]
    await follower.landed(H41, routed.message_id)

    stop = asyncio.Event()  # the authority is back
    beating = asyncio.create_task(beats.run(stop, 0.5))
    try:
        await becomes(follower, Liveness.CURRENT)
        _, again = await follower.send(G22, document(G22, [H99], 5))
        assert [o.reason_code for o in again.recipients] == ["REGISTRY_UNKNOWN_CODE"]
    finally:
        stop.set()
        await beating


async def test_a_heartbeat_signed_by_another_key_does_not_count(follower: Running) -> None:
    settings = follower.node.settings
    key, certificate = follower.pki / f"{H41}.key", follower.pki / f"{H41}.pem"
    signer = (load_private_key(key), load_certificate(certificate))
    forged = make_heartbeat(1, follower.node.registry.clock(), "mallory", signer)
    taker = heartbeat_follower(settings, follower.node.registry)
    assert not await taker.take(RecordCodec().encode(forged))
    assert await liveness(follower) is Liveness.STALE  # never heard of the authority
    assert follower.node.registry.heartbeat_at is None
