"""A certificate authorized for a code stops signing for it when the registry closes the code:
a packet it signs is routed during the signing grace (signed just before the change, sent just
after), refused with `SIGNER_CODE_CLOSED` afterwards; the successor's own certificate signs on.
Real Kafka and PostgreSQL, the node's own trust store and registry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from orgcodes.changes import parse_change_set
from routing.outcomes import RouteOutcome, SubmissionRefused
from tests.support.bus import ScriptedEndpoint
from tests.support.packets import document
from tests.support.running_node import ACTOR, G22, H41, H53, NodePlace, running_node

pytestmark = pytest.mark.integration

GRACE = timedelta(seconds=3)


async def test_a_closed_codes_certificate_signs_during_the_grace_and_is_refused_after_it(
    node_place: NodePlace,
) -> None:
    async with running_node(
        node_place, push_endpoint=ScriptedEndpoint().url,
        closed_code_signing_grace=f"{GRACE.total_seconds():g}s",
    ) as running:  # fmt: skip
        effective = datetime.now(UTC)
        change_set = {"effective": effective.isoformat(), "reason": "Nghị quyết 8/2026",
                      "changes": [{"op": "merge", "from": [H41, H53], "into": H53}]}  # fmt: skip
        await running.node.registry.apply(parse_change_set(change_set), actor=ACTOR)

        # Within the grace: H41's certificate still signs for H41.
        _, within = await running.send(H41, document(H41, [G22], 1))
        assert [o.outcome for o in within.recipients] == [RouteOutcome.ROUTED]

        await asyncio.sleep(max(0.0, (effective + GRACE - datetime.now(UTC)).total_seconds()))
        with pytest.raises(SubmissionRefused) as refused:
            await running.send(H41, document(H41, [G22], 2))
        assert refused.value.code == "SIGNER_CODE_CLOSED"
        assert f"{H41} -> {H53}" in refused.value.message
        assert not refused.value.busy  # final: sending it again does not help

        # The successor signs with its own certificate, and a document to H41 reaches it.
        _, onward = await running.send(H53, document(H53, [G22, H41], 3))
        assert {o.addressed: o.outcome for o in onward.recipients} == {
            G22: RouteOutcome.ROUTED,
            H41: RouteOutcome.REDIRECTED,
        }
