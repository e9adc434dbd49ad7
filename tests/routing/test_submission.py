"""The submission service on the real broker and PostgreSQL: fan-out with a redirect and a
rejection (02 to the sender), de-duplication, the caller's codes, statuses and business types."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from envelopes.codes import BusinessDocType, StatusCode
from envelopes.model import StatusPacket
from envelopes.parsing import parse_packet
from envelopes.records import RecordKind, TrackingEventType
from routing.backlog import DeliveryBacklog
from routing.bus import make_producer
from routing.clock import Clock, utc_now
from routing.evidence import EvidenceLog
from routing.inbox_store import Inbox
from routing.lifecycle import Phase
from routing.outcomes import RouteOutcome, SubmissionRefused
from routing.payloads import PayloadRef
from routing.sender import TransactionalSender
from routing.submission import PacketVerifier, SubmissionContext, SubmissionService
from routing.tracking import TrackingStore
from tests.support.bus import Bus, eventually
from tests.support.packets import document, status
from tests.support.pki import NOW, Pki, signed
from tests.support.routing_doubles import FromIsSigner, TableResolver

pytestmark = pytest.mark.integration

G22, H53, H41, H49, H39, H99 = (
    "000.00.00.G22", "000.00.00.H53", "000.00.00.H41", "000.00.00.H49", "000.00.00.H39",
    "000.00.00.H99",
)  # fmt: skip


@dataclass
class Node:
    bus: Bus
    service: SubmissionService
    resolver: TableResolver

    async def inbox(self, code: str, kind: RecordKind = RecordKind.DOCUMENT) -> list[object]:
        async with self.bus.sessions() as session:
            return list(await Inbox().list(session, [code], kind=kind))


@asynccontextmanager
async def submitting(
    bus: Bus, verifier: PacketVerifier, clock: Clock = utc_now
) -> AsyncIterator[Node]:
    resolver = TableResolver(active={G22, H53, H41, H49}, redirects={H39: (H49,)})
    producer = make_producer(
        bus.bootstrap, client_id="submit", transactional_id=bus.layout.prefix + "submit"
    )
    sender = TransactionalSender(producer)
    await sender.start()
    context = SubmissionContext(
        sessions=bus.sessions, payloads=bus.context.payloads, verifier=verifier,
        resolver=resolver, sender=sender, layout=bus.layout, node_id="test-node", clock=clock,
    )  # fmt: skip
    try:
        yield Node(bus, SubmissionService(context), resolver)
    finally:
        await sender.stop()


@pytest.fixture
async def node(bus: Bus, workers: asyncio.Event) -> AsyncIterator[Node]:
    async with submitting(bus, FromIsSigner()) as running:
        yield running


async def test_signatures_are_verified_by_the_signing_package_before_routing(
    bus: Bus, workers: asyncio.Event, pki: Pki
) -> None:
    async with submitting(bus, pki.verifier(), clock=lambda: NOW) as node:
        data = signed(document(G22, [H53], 40), pki.g22)
        result = await node.service.submit(data, caller_codes=frozenset({G22}))
        assert [o.outcome for o in result.recipients] == [RouteOutcome.ROUTED]

        async def landed() -> bool:
            return len(await node.inbox(H53)) == 1

        await eventually(landed, what="the signed packet in H53's inbox")
        async with node.bus.sessions() as session:
            (row,) = await Inbox().list(session, [H53])
        delivered = await node.bus.context.payloads.read(
            PayloadRef(row.packet_sha256, row.packet_size)
        )
        assert delivered == data  # the signed bytes travel untouched

        tampered = signed(document(G22, [H53], 41), pki.g22).replace(b"CV-TEST", b"CV-GIA", 1)
        with pytest.raises(SubmissionRefused) as refused:
            await node.service.submit(tampered, caller_codes=frozenset({G22}))
        assert refused.value.code == "SIGNATURE_DIGEST_MISMATCH"

        forged = signed(document(G22, [H53], 42), pki.h41)  # H41's certificate, G22's From
        with pytest.raises(SubmissionRefused) as refused:
            await node.service.submit(forged, caller_codes=frozenset({G22}))
        assert refused.value.code == "SIGNATURE_NOT_AUTHORIZED"


async def test_fan_out_with_a_redirect_and_a_rejection_answered_by_a_02(node: Node) -> None:
    result = await node.service.submit(
        document(G22, [H53, H39, H99], 1), caller_codes=frozenset({G22})
    )
    outcomes = {o.addressed: o for o in result.recipients}
    assert outcomes[H53].outcome is RouteOutcome.ROUTED
    assert outcomes[H39].outcome is RouteOutcome.REDIRECTED
    assert (outcomes[H39].target, outcomes[H39].chain) == (H49, (H39, H49))
    assert outcomes[H99].outcome is RouteOutcome.REJECTED
    assert outcomes[H99].reason_code == "REGISTRY_UNKNOWN_CODE"

    async def arrived() -> bool:
        async with node.bus.sessions() as session:
            rejected = await TrackingStore().delivery(session, result.message_id, H99)
        return (
            len(await node.inbox(H53)) == 1
            and len(await node.inbox(H49)) == 1
            and len(await node.inbox(G22, RecordKind.STATUS)) == 1
            and rejected is not None
            and rejected.last_status is StatusCode.REJECTED
        )

    await eventually(arrived, what="both deliveries, the 02 notice, the tracked 02")
    async with node.bus.sessions() as session:
        (redirected,) = await Inbox().list(session, [H49])
        (notice,) = await Inbox().list(session, [G22], kind=RecordKind.STATUS)
        rejected = await TrackingStore().delivery(session, result.message_id, H99)
        packet = parse_packet(
            await node.bus.context.payloads.read(
                PayloadRef(notice.packet_sha256, notice.packet_size)
            )
        )
    assert redirected.addressed_to == H39 and redirected.message_id == result.message_id
    assert isinstance(packet, StatusPacket) and packet.status_code is StatusCode.REJECTED
    assert "REGISTRY_UNKNOWN_CODE" in packet.description
    assert rejected is not None and rejected.phase is Phase.FAILED
    assert rejected.last_status is StatusCode.REJECTED


async def test_the_same_packet_twice_gets_the_first_message_id(node: Node) -> None:
    data = document(G22, [H53], 2)
    first = await node.service.submit(data, caller_codes=frozenset({G22}))
    second = await node.service.submit(data, caller_codes=frozenset({G22}))
    assert (second.message_id, second.duplicate, first.duplicate) == (first.message_id, True, False)
    assert second.recipients == first.recipients


async def test_concurrent_submissions_share_batches_and_each_gets_its_own_answer(
    node: Node,
) -> None:
    """Thirty packets at once, one of them twice and one a status its sender may not send: the
    copy is answered as a duplicate of the first (one message, one delivery), the refusal is
    that caller's alone, and every other packet is routed and lands once."""
    await node.service.submit(document(G22, [H53], 599), caller_codes=None)
    forged_status = status(H41, G22, 599, StatusCode.ARRIVED)  # H41 never received 599
    packets = [document(G22, [H53], 600 + n) for n in range(30)]
    answers = await asyncio.gather(
        *(node.service.submit(p, caller_codes=None) for p in packets),
        node.service.submit(packets[0], caller_codes=None),
        node.service.submit(forged_status, caller_codes=None),
        return_exceptions=True,
    )
    *routed, copy, refused = answers
    assert isinstance(refused, SubmissionRefused) and refused.code == "STATUS_NOT_A_RECIPIENT"
    assert all(not isinstance(a, BaseException) and not a.duplicate for a in routed)
    first = routed[0]
    assert not isinstance(first, BaseException) and not isinstance(copy, BaseException)
    assert (copy.message_id, copy.duplicate) == (first.message_id, True)
    assert len({a.message_id for a in routed if not isinstance(a, BaseException)}) == 30

    async def landed() -> bool:
        return len(await node.inbox(H53)) >= 31

    await eventually(landed, what="31 documents in H53's inbox")
    await asyncio.sleep(0.5)
    assert len(await node.inbox(H53)) == 31
    async with node.bus.sessions() as session:
        deliveries = await TrackingStore().deliveries_of(session, first.message_id)
    assert [d.recipient_code for d in deliveries] == [H53]


async def test_a_saturated_node_answers_busy_and_records_nothing_for_it(
    bus: Bus, workers: asyncio.Event
) -> None:
    async with submitting(bus, FromIsSigner()) as running:
        context = running.service._context  # the same parts, a queue of two
        small = SubmissionService(context, max_batch=1, max_in_progress=2)
        packets = [document(G22, [H53], 700 + n) for n in range(12)]
        answers = await asyncio.gather(
            *(small.submit(p, caller_codes=None) for p in packets), return_exceptions=True
        )
    busy = [a for a in answers if isinstance(a, SubmissionRefused)]
    accepted = [a for a in answers if not isinstance(a, BaseException)]
    assert busy and all(b.code == "NODE_BUSY" and b.busy for b in busy)
    assert len(accepted) + len(busy) == 12

    async def landed() -> bool:
        return len(await running.inbox(H53)) >= len(accepted)

    await eventually(landed, what="the accepted packets in H53's inbox")
    await asyncio.sleep(0.5)
    assert len(await running.inbox(H53)) == len(accepted)  # the busy ones: nothing recorded


async def test_a_node_delivering_too_far_behind_answers_busy_until_it_catches_up(
    bus: Bus, workers: asyncio.Event
) -> None:
    async with submitting(bus, FromIsSigner()) as running:
        backlog = DeliveryBacklog()
        service = SubmissionService(running.service._context, backlog=backlog,
                                    max_delivery_delay=2.0)  # fmt: skip
        stamped = int((time.time() - 5) * 1000)  # the oldest waiting record is 5 s old
        backlog.handled("deliveries-0", stamped, remaining=120)
        assert service.saturated()
        with pytest.raises(SubmissionRefused) as refused:
            await service.submit(document(G22, [H53], 801), caller_codes=None)
        assert refused.value.busy
        backlog.handled("deliveries-0", stamped, remaining=0)  # the worker caught up
        assert not service.saturated()
        accepted = await service.submit(document(G22, [H53], 802), caller_codes=None)

    async def landed() -> bool:
        return len(await running.inbox(H53)) >= 1

    await eventually(landed, what="the packet accepted after catching up")
    await asyncio.sleep(0.5)
    inbox = await running.inbox(H53)
    assert len(inbox) == 1 and not accepted.duplicate  # the refused one: nothing recorded


async def test_a_client_cannot_send_as_another_agency(node: Node) -> None:
    with pytest.raises(SubmissionRefused) as refused:
        await node.service.submit(document(G22, [H53], 3), caller_codes=frozenset({H41}))
    assert refused.value.code == "SUBMIT_SENDER_NOT_ALLOWED"


async def test_an_invalid_packet_is_refused_with_the_envelope_code(node: Node) -> None:
    with pytest.raises(SubmissionRefused) as refused:
        await node.service.submit(b"<edXML><broken", caller_codes=None)
    assert refused.value.code.startswith("EDXML_")


async def test_a_status_conversation_to_06_ignores_a_duplicate_03_and_a_late_01(
    node: Node,
) -> None:
    sent = await node.service.submit(document(G22, [H53], 4), caller_codes=frozenset({G22}))
    for step, code in enumerate(["01", "03", "03", "05", "06", "01"]):
        await node.service.submit(
            status(H53, G22, 4, StatusCode(code), f"step {step}: {code}"),
            caller_codes=frozenset({H53}),
        )
        await asyncio.sleep(0.05)  # statuses travel in order, as a DMS sends them

    async def finished() -> bool:
        async with node.bus.sessions() as session:
            view = await TrackingStore().delivery(session, sent.message_id, H53)
            timeline = await TrackingStore().timeline(session, sent.message_id, H53)
        statuses = [e for e in timeline if e.status_code is not None]
        return view is not None and view.last_status is StatusCode.FINISHED and len(statuses) == 6

    await eventually(finished, what="the delivery at 06 with every status in the timeline")
    async with node.bus.sessions() as session:
        timeline = await TrackingStore().timeline(session, sent.message_id, H53)
    effects = [(e.status_code.value, e.effect) for e in timeline if e.status_code is not None]
    assert effects == [
        ("01", "advanced"), ("03", "advanced"), ("03", "ignored_duplicate"), ("05", "advanced"),
        ("06", "advanced"), ("01", "ignored_after_terminal"),
    ]  # fmt: skip

    async def statuses_arrived() -> bool:
        return len(await node.inbox(G22, RecordKind.STATUS)) == 6

    await eventually(statuses_arrived, what="the statuses in the sender's inbox")


async def test_revoke_and_update_reach_the_right_recipients(node: Node) -> None:
    original = await node.service.submit(
        document(G22, [H53, H41], 5), caller_codes=frozenset({G22})
    )

    async def tracked() -> bool:
        async with node.bus.sessions() as session:
            return len(await TrackingStore().deliveries_of(session, original.message_id)) == 2

    await eventually(tracked, what="the original's deliveries tracked")
    revoke = await node.service.submit(
        document(G22, [H53], 6, business=BusinessDocType.REVOKE, acts_on=5),
        caller_codes=frozenset({G22}),
    )
    update = await node.service.submit(
        document(G22, [H53], 7, business=BusinessDocType.UPDATE, acts_on=5, added=[H49],
                 removed=[H41]),
        caller_codes=frozenset({G22}),
    )  # fmt: skip
    assert [o.addressed for o in revoke.recipients] == [H53, H41]
    assert [o.addressed for o in update.recipients] == [H53, H49, H41]

    async def delivered() -> bool:
        return (
            len(await node.inbox(H53)) == 3
            and len(await node.inbox(H41)) == 3
            and len(await node.inbox(H49)) == 1
        )

    await eventually(delivered, what="revoke and update in the right inboxes")


# --- status integrity ---------------------------------------------------------------------


async def test_a_status_from_a_code_the_document_was_not_routed_to_is_refused(
    node: Node,
) -> None:
    sent = await node.service.submit(document(G22, [H53], 20), caller_codes=frozenset({G22}))
    forged = status(H41, G22, 20, StatusCode("06"), "H41 was never sent this")
    with pytest.raises(SubmissionRefused) as refused:
        await node.service.submit(forged, caller_codes=frozenset({H41}))
    assert refused.value.code == "STATUS_NOT_A_RECIPIENT"
    assert H41 in refused.value.message

    await node.service.submit(status(H53, G22, 20, StatusCode("03")), caller_codes=frozenset({H53}))

    async def accepted() -> bool:
        async with node.bus.sessions() as session:
            view = await TrackingStore().delivery(session, sent.message_id, H53)
        return view is not None and view.last_status is StatusCode("03")

    await eventually(accepted, what="the real recipient's 03 on its delivery")
    async with node.bus.sessions() as session:
        deliveries = await TrackingStore().deliveries_of(session, sent.message_id)
    assert [d.recipient_code for d in deliveries] == [H53]  # H41 never became a recipient
    assert len(await node.inbox(G22, RecordKind.STATUS)) <= 1


async def test_a_status_from_the_successor_of_a_recipient_moves_that_recipients_delivery(
    node: Node,
) -> None:
    sent = await node.service.submit(document(G22, [H53], 21), caller_codes=frozenset({G22}))
    node.resolver.active.discard(H53)  # H53 closes and merges into H41
    node.resolver.redirects[H53] = (H41,)
    try:
        await node.service.submit(
            status(H41, G22, 21, StatusCode("03"), "taken over"), caller_codes=frozenset({H41})
        )
    finally:
        node.resolver.active.add(H53)
        del node.resolver.redirects[H53]

    async def moved() -> bool:
        async with node.bus.sessions() as session:
            view = await TrackingStore().delivery(session, sent.message_id, H53)
        return view is not None and view.last_status is StatusCode("03")

    await eventually(moved, what="H53's delivery at 03, reported by its successor H41")
    async with node.bus.sessions() as session:
        deliveries = await TrackingStore().deliveries_of(session, sent.message_id)
        timeline = await TrackingStore().timeline(session, sent.message_id, H53)
    assert [d.recipient_code for d in deliveries] == [H53]
    reported = [e for e in timeline if e.status_code is StatusCode("03")]
    assert len(reported) == 1 and f"from {H41}, successor of {H53}" in (reported[0].detail or "")


async def test_a_status_about_a_document_this_node_never_carried_goes_to_its_agency(
    node: Node,
) -> None:
    result = await node.service.submit(
        status(H53, G22, 22, StatusCode("03"), "begun on the old axis"),
        caller_codes=frozenset({H53}),
    )
    assert [(o.addressed, o.outcome) for o in result.recipients] == [(G22, RouteOutcome.ROUTED)]

    async def arrived() -> bool:
        return len(await node.inbox(G22, RecordKind.STATUS)) == 1

    await eventually(arrived, what="the status in G22's inbox")
    async with node.bus.sessions() as session:
        tracked = await TrackingStore().message(session, result.message_id)
    assert tracked is not None and tracked.answers_message_id is None


# --- each fact once -----------------------------------------------------------------------


async def test_a_submission_redone_after_a_crash_records_each_fact_once(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = document(G22, [H53], 23)

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed after Kafka committed, before the submission was marked")

    monkeypatch.setattr(node.service, "_accepted", crash)
    with pytest.raises(RuntimeError):
        await node.service.submit(data, caller_codes=frozenset({G22}))
    monkeypatch.undo()
    redone = await node.service.submit(data, caller_codes=frozenset({G22}))
    assert not redone.duplicate

    async def delivered() -> bool:
        return await _phase(node, redone.message_id, H53) is Phase.DELIVERED

    await eventually(delivered, what="the redone submission delivered")
    await asyncio.sleep(1.0)  # both submissions' events reach the tracker
    async with node.bus.sessions() as session:
        timeline = await TrackingStore().timeline(session, redone.message_id)
        proof = await EvidenceLog().proof(session, str(redone.message_id))
    events = [e.event for e in timeline]
    assert events.count(TrackingEventType.ACCEPTED) == 1
    assert events.count(TrackingEventType.ROUTED) == 1
    assert [e.evidence.kind for e in proof].count("accepted") == 1
    assert [e.evidence.kind for e in proof].count("delivered") == 1


async def test_a_copy_reencoded_outside_the_signed_content_is_the_same_packet(
    bus: Bus, workers: asyncio.Event, pki: Pki
) -> None:
    async with submitting(bus, pki.verifier(), clock=lambda: NOW) as node:
        data = signed(document(G22, [H53], 24), pki.g22)
        first = await node.service.submit(data, caller_codes=frozenset({G22}))
        text = data.decode("utf-8")
        copies = [
            b"\xef\xbb\xbf" + data,  # a byte-order mark
            text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"),
            _rewrap_certificate(data),  # KeyInfo is outside the signed content
        ]
        for copy in copies:
            assert copy != data
            again = await node.service.submit(copy, caller_codes=frozenset({G22}))
            assert (again.message_id, again.duplicate) == (first.message_id, True)


def _rewrap_certificate(data: bytes) -> bytes:
    start = data.index(b"<ds:X509Certificate>") + len(b"<ds:X509Certificate>")
    end = data.index(b"</ds:X509Certificate>", start)
    flat = b"".join(data[start:end].split())
    wrapped = b"\n".join(flat[i : i + 76] for i in range(0, len(flat), 76))
    assert wrapped != data[start:end]
    return data[:start] + wrapped + data[end:]


async def _phase(node: Node, message_id: object, code: str) -> Phase | None:
    async with node.bus.sessions() as session:
        view = await TrackingStore().delivery(session, message_id, code)  # type: ignore[arg-type]
    return view.phase if view is not None else None
