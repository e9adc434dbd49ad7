"""Re-routing in flight (issue 18): a delivery on its way to a code that closes goes on to the
successor once; a split ends it with a 02 naming the candidates; what waits unfetched in the
closed code's inbox moves to the successor after the grace period. Real Kafka and PostgreSQL.

The push unit H26 has an endpoint that is down, so its deliveries wait on the retry tiers; the
registry then merges, splits or closes it while they wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from axis.node.assembly import open_node
from axis.node.parts import transactional_producer
from axis.services import registry_preview
from envelopes.codes import StatusCode
from envelopes.model import StatusPacket
from envelopes.parsing import parse_packet
from envelopes.records import RecordKind, TrackingEventType
from orgcodes.changes import parse_change_set
from routing.dead_letters import DeadLetterQuery
from routing.inbox_store import InboxItemHandedOver
from routing.lifecycle import Phase
from routing.notices import notice_id
from routing.workers import WorkerRole
from tests.support.bus import EndpointServer, ScriptedEndpoint
from tests.support.packets import document
from tests.support.running_node import (
    ACTOR,
    G22,
    H41,
    H53,
    PUSHED,
    NodePlace,
    Running,
    running_node,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def endpoint() -> ScriptedEndpoint:
    return ScriptedEndpoint(down=True)


@pytest.fixture
def horizon() -> str:
    """Long enough that the delivery is still retrying when the registry changes."""
    return "120s"


@pytest.fixture
def grace() -> str:
    return "24h"


@pytest.fixture
async def running(
    node_place: NodePlace,
    endpoint: ScriptedEndpoint,
    horizon: str,
    grace: str,
) -> AsyncIterator[Running]:
    async with (
        EndpointServer(endpoint),
        running_node(
            node_place, push_endpoint=endpoint.url,
            retry_horizon=horizon, inbox_handover_grace=grace,
        ) as running,
    ):  # fmt: skip
        yield running


async def change(running: Running, *changes: dict[str, Any]) -> int:
    """Apply a version effective a moment ago; its number."""
    effective = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    change_set = {"effective": effective, "reason": "Nghị quyết 7/2026", "changes": list(changes)}
    record = await running.node.registry.apply(parse_change_set(change_set), actor=ACTOR)
    return record.version


async def retrying(running: Running, number: int, to: list[str]) -> UUID:
    """A document from G22 whose delivery to the push unit is waiting on a retry tier."""
    _, result = await running.send(G22, document(G22, to, number))
    await running.reaches(result.message_id, PUSHED, Phase.RETRYING)
    return result.message_id


async def test_a_delivery_in_retry_when_its_code_merges_lands_once_in_the_successors_inbox(
    running: Running,
) -> None:
    message_id = await retrying(running, 1, [PUSHED, H53])
    await running.landed(H53, message_id)  # addressed to H53 as well: already there

    version = await change(running, {"op": "merge", "from": [PUSHED, H53], "into": H53})

    rerouted = await running.reaches(message_id, PUSHED, Phase.REROUTED)
    (item,) = [i for i in await running.inbox(H53) if i.message_id == message_id]
    assert item.addressed_to is None  # the first arrival, addressed to H53 itself, stays
    timeline = await running.timeline(message_id, PUSHED)
    (entry,) = [e for e in timeline if e.event is TrackingEventType.REROUTED]
    assert entry.detail == (
        f"re-routed to {H53} along {PUSHED} -> {H53} (registry version {version})"
    )
    assert rerouted.phase is Phase.REROUTED
    assert await running.inbox(G22, RecordKind.STATUS) == []  # no 02: nothing was lost


async def test_a_delivery_only_to_the_merged_code_opens_a_delivery_to_the_successor(
    running: Running,
) -> None:
    message_id = await retrying(running, 2, [PUSHED])
    version = await change(running, {"op": "merge", "from": [PUSHED, H41], "into": H41})

    item = await running.landed(H41, message_id)
    assert item.addressed_to == PUSHED
    opened = await running.reaches(message_id, H41, Phase.DELIVERED)
    assert opened.addressed_to == PUSHED
    deliveries = await running.deliveries(message_id)
    assert {code: view.phase for code, view in deliveries.items()} == {
        PUSHED: Phase.REROUTED,
        H41: Phase.DELIVERED,
    }
    events = [(e.event, e.detail) for e in await running.timeline(message_id, H41)]
    assert events[0] == (
        TrackingEventType.REDIRECTED,
        f"re-routed in flight from {PUSHED} along {PUSHED} -> {H41} (registry version {version})",
    )
    assert [i.message_id for i in await running.inbox(H41)].count(message_id) == 1
    assert await running.inbox(G22, RecordKind.STATUS) == []


async def test_a_delivery_in_retry_when_its_code_splits_ends_with_a_02_naming_the_candidates(
    running: Running,
) -> None:
    message_id = await retrying(running, 3, [PUSHED])
    await change(running, {"op": "split", "from": PUSHED, "into": [H41, H53]})

    failed = await running.reaches(message_id, PUSHED, Phase.FAILED)
    assert (failed.last_error or "").startswith("REGISTRY_CODE_AMBIGUOUS: ")
    notice = notice_id(message_id, PUSHED)

    async def answered() -> bool:
        return notice in {i.message_id for i in await running.inbox(G22, RecordKind.STATUS)}

    await running.until(answered, "the 02 notice in G22's inbox")
    packet = parse_packet((await running.node.mailbox.fetch([G22], notice)).data)
    assert isinstance(packet, StatusPacket) and packet.status_code is StatusCode.REJECTED
    assert f"{H41}, {H53}" in packet.description
    for code in (H41, H53):
        assert message_id not in {i.message_id for i in await running.inbox(code)}


@pytest.mark.parametrize("horizon", ["3s"])
async def test_a_dead_letter_replayed_after_its_code_closed_goes_to_the_successor(
    running: Running,
) -> None:
    _, result = await running.send(G22, document(G22, [PUSHED], 4))
    message_id = result.message_id
    await running.reaches(message_id, PUSHED, Phase.DEAD)
    await change(running, {"op": "merge", "from": [PUSHED, H53], "into": H53})

    node = running.node
    async with transactional_producer(node.settings, "test-replay") as producer:
        replayed = await node.services.operator.replay(
            producer, actor="operator:test", query=DeadLetterQuery(recipient_code=PUSHED)
        )
    assert [r.message_id for r in replayed] == [str(message_id)]

    item = await running.landed(H53, message_id)
    assert item.addressed_to == PUSHED
    await running.reaches(message_id, PUSHED, Phase.REROUTED)


async def test_a_future_dated_merge_takes_effect_at_its_time_as_its_preview_said(
    running: Running,
) -> None:
    message_id = await retrying(running, 5, [PUSHED])
    effective = datetime.now(UTC) + timedelta(seconds=4)
    change_set = parse_change_set({
        "effective": effective.isoformat(), "reason": "Nghị quyết 8/2026",
        "changes": [{"op": "merge", "from": [PUSHED, H53], "into": H53}],
    })  # fmt: skip
    node = running.node
    seen = await registry_preview.preview(node.registry, node.sessions, change_set)
    (code,) = seen.codes
    assert (code.unit.code, code.unit.successor, code.on_the_way) == (PUSHED, H53, 1)
    assert code.what_happens() == [f"1 delivery(ies) on the way: re-routed to {H53}"]
    assert seen.totals()["deliveries_rerouted"] == 1

    await node.registry.apply(change_set, actor=ACTOR)
    item = await running.landed(H53, message_id)
    assert item.addressed_to == PUSHED
    (entry,) = [
        e
        for e in await running.timeline(message_id, PUSHED)
        if e.event is TrackingEventType.REROUTED
    ]
    assert entry.at >= effective  # not before the change set took effect


@pytest.mark.parametrize("grace", ["5s"])
async def test_an_unfetched_item_moves_to_the_successor_after_the_grace_and_a_fetch_in_time_wins(
    running: Running,
) -> None:
    _, first = await running.send(G22, document(G22, [H41], 6))
    _, second = await running.send(G22, document(G22, [H41], 7))
    _, third = await running.send(G22, document(G22, [H41], 8))
    for sent in (first, second, third):
        await running.landed(H41, sent.message_id)
    mailbox = running.node.mailbox
    await mailbox.fetch([H41], third.message_id)  # fetched before the change, never acknowledged
    await running.reaches(third.message_id, H41, Phase.FETCHED)
    merge = {"op": "merge", "from": [H53, H41], "into": H53}
    planned = parse_change_set({"effective": datetime.now(UTC).isoformat(), "reason": "preview",
                                "changes": [merge]})  # fmt: skip
    seen = await registry_preview.preview(running.node.registry, running.node.sessions, planned)
    (said,) = [c for c in seen.codes if c.unit.code == H41]
    assert (said.unfetched, said.fetched) == (2, 1)
    assert (
        f"1 item(s) fetched by {H41}'s system and not acknowledged: stay with it (only what "
        "nobody fetched is handed over)"
    ) in said.what_happens()
    await change(running, merge)
    kept = await mailbox.fetch([H41], first.message_id)  # within the grace period: H41 wins

    moved = await running.landed(H53, second.message_id)
    assert moved.addressed_to == H41
    with pytest.raises(InboxItemHandedOver) as gone:
        await mailbox.fetch([H41], second.message_id)
    assert gone.value.code == "INBOX_ITEM_HANDED_OVER" and f"handed over to {H53}" in str(
        gone.value
    )
    assert {i.message_id for i in await running.inbox(H41)} == {first.message_id, third.message_id}
    assert not {first.message_id, third.message_id} & {
        i.message_id for i in await running.inbox(H53)
    }
    assert (await mailbox.fetch([H41], first.message_id)).data == kept.data  # still H41's
    assert await running.node.handover.sweep() == 0  # once: nothing more to move
    assert [i.message_id for i in await running.inbox(H53)].count(second.message_id) == 1
    assert (await mailbox.fetch([H53], second.message_id)).item.addressed_to == H41

    await running.reaches(second.message_id, H41, Phase.REROUTED)
    opened = await running.reaches(second.message_id, H53, Phase.FETCHED)
    assert opened.addressed_to == H41
    (entry,) = [
        e
        for e in await running.timeline(second.message_id, H41)
        if e.event is TrackingEventType.REROUTED
    ]
    assert (entry.detail or "").startswith(f"unfetched: handed over to {H53} along {H41} -> {H53}")
    assert (await running.deliveries(first.message_id))[H41].phase is Phase.FETCHED


@pytest.mark.parametrize("grace", ["2s"])
async def test_a_future_dated_merge_takes_effect_once_on_two_nodes_as_previewed(
    running: Running,
) -> None:
    """Two node processes on one database and one bus (as `axis serve` on two machines): at the
    effective time the retrying delivery is re-routed and the unfetched item handed over, each
    once, and the preview said so beforehand."""
    on_the_way = await retrying(running, 8, [PUSHED])
    _, waiting = await running.send(G22, document(G22, [H41], 9))
    await running.reaches(waiting.message_id, H41, Phase.DELIVERED)  # tracked as in the inbox
    effective = datetime.now(UTC) + timedelta(seconds=4)
    change_set = parse_change_set({
        "effective": effective.isoformat(), "reason": "Nghị quyết 10/2026",
        "changes": [{"op": "merge", "from": [PUSHED, H41, H53], "into": H53}],
    })  # fmt: skip
    first = running.node
    seen = await registry_preview.preview(first.registry, first.sessions, change_set)
    said = {c.unit.code: c.what_happens() for c in seen.codes}
    assert said == {
        PUSHED: [f"1 delivery(ies) on the way: re-routed to {H53}"],
        H41: [
            f"1 unfetched inbox item(s): handed over to {H53} after the grace period unless "
            "fetched first",
            f"1 certificate(s) stop signing for {H41} once the signing grace has passed "
            "(SIGNER_CODE_CLOSED)",  # the development PKI's
        ],
    }

    stop = asyncio.Event()
    async with open_node(first.settings) as second:
        other = asyncio.create_task(second.run(list(WorkerRole), stop))
        try:
            await first.registry.apply(change_set, actor=ACTOR)
            for message_id in (on_the_way, waiting.message_id):
                await running.landed(H53, message_id)
            handed_at = await running.reaches(waiting.message_id, H41, Phase.REROUTED)
            await running.reaches(on_the_way, PUSHED, Phase.REROUTED)
            assert await second.handover.sweep() == 0 and await first.handover.sweep() == 0
        finally:
            stop.set()
            await other
    received = [i.message_id for i in await running.inbox(H53)]
    assert received.count(on_the_way) == received.count(waiting.message_id) == 1
    assert handed_at.updated_at >= effective + timedelta(seconds=2)
    for message_id, code in ((on_the_way, PUSHED), (waiting.message_id, H41)):
        timeline = await running.timeline(message_id, code)
        assert [e.event for e in timeline].count(TrackingEventType.REROUTED) == 1
