"""What waits on a long retry tier for a code the registry closes goes on at once, not when it
comes due (`routing.retry_lookahead`): at the change of a version applied now, and at the
effective time of a future-dated one. What waits for a code still open keeps waiting, with its
due time. Real Kafka and PostgreSQL; the one retry tier waits an hour, the test a minute."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from envelopes.records import RecordKind, TrackingEventType
from orgcodes.changes import parse_change_set
from routing.lifecycle import Phase
from tests.support.bus import EndpointServer, ScriptedEndpoint
from tests.support.packets import document
from tests.support.running_node import (
    ACTOR,
    G22,
    H41,
    PUSHED,
    NodePlace,
    Running,
    running_node,
    unit,
)

pytestmark = pytest.mark.integration

OTHER = "000.00.00.H28"
"""A second push unit behind the same endpoint, which is down."""


@pytest.fixture
async def running(
    node_place: NodePlace,
) -> AsyncIterator[Running]:
    endpoint = ScriptedEndpoint(down=True)
    async with (
        EndpointServer(endpoint),
        running_node(
            node_place, push_endpoint=endpoint.url,
            retry_delays="1h", retry_horizon="48h",
        ) as running,
    ):  # fmt: skip
        other = unit(OTHER, "Sở Tài chính", delivery_mode="push", endpoint=endpoint.url)
        await apply(running, datetime.now(UTC) - timedelta(days=1), other)
        yield running


async def apply(running: Running, effective: datetime, *changes: dict[str, Any]) -> int:
    change_set = {"effective": effective.isoformat(), "reason": "Nghị quyết 9/2026",
                  "changes": list(changes)}  # fmt: skip
    return (await running.node.registry.apply(parse_change_set(change_set), actor=ACTOR)).version


async def waiting_an_hour(running: Running, number: int, to: str) -> UUID:
    _, result = await running.send(G22, document(G22, [to], number))
    await running.reaches(result.message_id, to, Phase.RETRYING)
    return result.message_id


async def test_deliveries_waiting_an_hour_go_on_when_their_codes_merge_now_or_later(
    running: Running,
) -> None:
    first = await waiting_an_hour(running, 1, PUSHED)
    second = await waiting_an_hour(running, 2, OTHER)

    # A version applied now: what waits for PUSHED goes on to H41 at once.
    version = await apply(running, datetime.now(UTC) - timedelta(seconds=1),
                          {"op": "merge", "from": [PUSHED, H41], "into": H41})  # fmt: skip
    item = await running.landed(H41, first)
    assert item.addressed_to == PUSHED
    (entry,) = [e for e in await running.timeline(first, PUSHED)
                if e.event is TrackingEventType.REROUTED]  # fmt: skip
    assert f"registry version {version}" in (entry.detail or "")

    # What waits for OTHER, still open, keeps waiting on its tier: no attempt was made.
    assert (await running.deliveries(second))[OTHER].phase is Phase.RETRYING
    attempts = [e for e in await running.timeline(second, OTHER)
                if e.event is TrackingEventType.RETRY_SCHEDULED]  # fmt: skip
    assert len(attempts) == 1

    # A future-dated version: nothing moves before its time; at its time OTHER's delivery,
    # still waiting on the tier after the rewrite, goes on too.
    effective = datetime.now(UTC) + timedelta(seconds=4)
    await apply(running, effective, {"op": "merge", "from": [OTHER, H41], "into": H41})
    landed = await running.landed(H41, second)
    assert datetime.now(UTC) >= effective
    assert landed.addressed_to == OTHER
    assert [i.message_id for i in await running.inbox(H41)].count(first) == 1
    assert await running.inbox(G22, RecordKind.STATUS) == []  # no 02: nothing was lost
