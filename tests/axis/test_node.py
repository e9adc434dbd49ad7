"""The assembled node (`open_node`, `Node.run`, `Node.refresh`) on real Kafka and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from axis.devtools.dev_pki import write_dev_pki
from axis.store.db import session_factory
from axis.store.trust_repository import TrustRepository
from envelopes.codes import StatusCode
from envelopes.model import StatusPacket
from envelopes.parsing import parse_packet
from envelopes.records import RecordKind, TrackingEventType
from orgcodes.changes import parse_change_set
from orgcodes.service import RegistryService
from routing.inbox_store import Ack, InboxAckConflict, InboxItemNotFound
from routing.lifecycle import Phase
from routing.notices import notice_id
from routing.outcomes import RouteOutcome, SubmissionRefused, SubmissionResult
from routing.tracking import TimelineEntry
from signing.certificates import load_certificate, load_private_key, serial_hex
from signing.errors import SignatureError
from signing.signer import sign_packet
from signing.trust import NOTICE_SIGNER
from signing.trust_files import load_trust_directory
from signing.verification import PacketVerifier
from tests.support.bus import EndpointServer, ScriptedEndpoint
from tests.support.packets import document, status
from tests.support.running_node import (
    ACTOR,
    DISTRICT,
    G22,
    H39,
    H41,
    H53,
    H99,
    NEWCOMER,
    PUSHED,
    NodePlace,
    Running,
    running_node,
    unit,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def endpoint() -> ScriptedEndpoint:
    """The push unit's endpoint (served only by the test about push): fails twice, then takes."""
    return ScriptedEndpoint(fail_first=2)


@pytest.fixture
async def running(
    node_place: NodePlace,
    endpoint: ScriptedEndpoint,
) -> AsyncIterator[Running]:
    async with running_node(
        node_place, push_endpoint=endpoint.url,
    ) as running:  # fmt: skip
        yield running


async def test_a_document_fans_out_through_the_registry_and_rejected_codes_answer_02(
    running: Running,
) -> None:
    data, result = await running.send(G22, document(G22, [H41, H39, DISTRICT, H99], 1))
    outcomes = {o.addressed: o for o in result.recipients}
    assert (outcomes[H41].outcome, outcomes[H41].target) == (RouteOutcome.ROUTED, H41)
    redirected = outcomes[H39]
    assert (redirected.outcome, redirected.target, redirected.chain) == (
        RouteOutcome.REDIRECTED,
        H53,
        (H39, H53),
    )
    assert (outcomes[DISTRICT].outcome, outcomes[DISTRICT].reason_code) == (
        RouteOutcome.REJECTED,
        "REGISTRY_CODE_CLOSED",
    )
    assert (outcomes[H99].outcome, outcomes[H99].reason_code) == (
        RouteOutcome.REJECTED,
        "REGISTRY_UNKNOWN_CODE",
    )

    message_id = result.message_id
    for code in (H41, H53):
        await running.reaches(message_id, code, Phase.DELIVERED)
    deliveries = await running.deliveries(message_id)
    assert {code: view.phase for code, view in deliveries.items()} == {
        H41: Phase.DELIVERED,
        H53: Phase.DELIVERED,
        DISTRICT: Phase.FAILED,
        H99: Phase.FAILED,
    }
    assert deliveries[H53].addressed_to == H39
    assert (deliveries[DISTRICT].last_error or "").startswith("REGISTRY_CODE_CLOSED: ")
    assert (deliveries[H99].last_error or "").startswith("REGISTRY_UNKNOWN_CODE: ")

    for code in (H41, H53):
        (item,) = await running.inbox(code)  # once, whatever Kafka re-delivers
        assert item.addressed_to == (H39 if code == H53 else None)
        fetched = await running.node.mailbox.fetch([code], message_id)
        assert fetched.data == data  # the signed bytes, untouched

    async def both_answered() -> bool:
        return len(await running.inbox(G22, RecordKind.STATUS)) >= 2

    await running.until(both_answered, "two 02 notices in G22's inbox")
    notices = await running.inbox(G22, RecordKind.STATUS)
    assert {item.message_id for item in notices} == {
        notice_id(message_id, DISTRICT),
        notice_id(message_id, H99),
    }
    reasons = {DISTRICT: "REGISTRY_CODE_CLOSED", H99: "REGISTRY_UNKNOWN_CODE"}
    for item in notices:
        packet = parse_packet((await running.node.mailbox.fetch([G22], item.message_id)).data)
        assert isinstance(packet, StatusPacket)
        assert packet.status_code is StatusCode.REJECTED
        assert str(packet.response_for.document_id) == result.document_id
        assert packet.sender_code == item.sender_code
        assert reasons[packet.sender_code] in packet.description
        assert packet.sender_code in packet.description


async def test_pull_fetch_and_acknowledgement_are_tracked_and_kept_to_the_recipient(
    running: Running,
) -> None:
    _, result = await running.send(G22, document(G22, [H41], 2))
    message_id = result.message_id
    await running.landed(H41, message_id)
    mailbox = running.node.mailbox

    await mailbox.fetch([H41], message_id)
    await running.reaches(message_id, H41, Phase.FETCHED)
    acknowledged = await mailbox.acknowledge([H41], message_id, Ack.DONE)
    assert acknowledged.changed
    view = await running.reaches(message_id, H41, Phase.ACKNOWLEDGED)
    assert view.last_error is None

    repeated = await mailbox.acknowledge([H41], message_id, Ack.DONE)
    assert not repeated.changed
    with pytest.raises(InboxAckConflict):
        await mailbox.acknowledge([H41], message_id, Ack.FAIL)
    with pytest.raises(InboxItemNotFound):
        await mailbox.fetch([H53, G22], message_id)
    with pytest.raises(InboxItemNotFound):
        await mailbox.acknowledge([H53], message_id, Ack.FAIL)
    assert (await running.deliveries(message_id))[H41].phase is Phase.ACKNOWLEDGED


async def test_a_push_unit_of_the_registry_gets_the_document_once_after_two_retries(
    running: Running, endpoint: ScriptedEndpoint
) -> None:
    async with EndpointServer(endpoint):
        data, result = await running.send(G22, document(G22, [PUSHED], 3))
        assert [o.outcome for o in result.recipients] == [RouteOutcome.ROUTED]
        view = await running.reaches(result.message_id, PUSHED, Phase.DELIVERED)
    message = str(result.message_id)
    assert endpoint.accepted == Counter({message: 1})
    assert endpoint.calls == 3
    assert endpoint.bodies[message] == data
    assert view.attempts >= 3
    assert (view.last_error or "").startswith("PUSH_HTTP_503: ")
    events = [entry.event for entry in await running.timeline(result.message_id, PUSHED)]
    assert events.count(TrackingEventType.RETRY_SCHEDULED) == 2
    assert events[-1] is TrackingEventType.DELIVERED
    assert await running.inbox(PUSHED) == []  # pushed, not kept for pulling


async def test_a_registry_version_applied_by_another_process_routes_after_refresh(
    running: Running,
) -> None:
    _, before = await running.send(G22, document(G22, [NEWCOMER], 4))
    assert [(o.outcome, o.reason_code) for o in before.recipients] == [
        (RouteOutcome.REJECTED, "REGISTRY_UNKNOWN_CODE")
    ]

    elsewhere = RegistryService(session_factory(running.engine))  # another process's copy
    effective = datetime.now(UTC) - timedelta(minutes=1)
    version_3 = {
        "effective": effective.isoformat(),
        "reason": "Resolution 7/2026",
        "changes": [
            unit(NEWCOMER, "UBND tỉnh mới"),
            {"op": "merge", "from": [H41, NEWCOMER], "into": NEWCOMER},
        ],
    }
    record = await elsewhere.apply(parse_change_set(version_3), actor=ACTOR)
    assert record.version == 3

    await running.node.refresh()
    assert running.node.registry.version == 3
    _, after = await running.send(G22, document(G22, [NEWCOMER, H41], 5))
    outcomes = {o.addressed: o for o in after.recipients}
    assert (outcomes[NEWCOMER].outcome, outcomes[NEWCOMER].target) == (
        RouteOutcome.ROUTED,
        NEWCOMER,
    )
    assert (outcomes[H41].outcome, outcomes[H41].chain) == (
        RouteOutcome.REDIRECTED,
        (H41, NEWCOMER),
    )
    await running.landed(NEWCOMER, after.message_id)
    assert len(await running.inbox(NEWCOMER)) == 1  # two codes, one unit: delivered once
    assert await running.inbox(H41) == []

    rename = {
        "effective": datetime.now(UTC).isoformat(),
        "changes": [{"op": "rename", "code": NEWCOMER, "name": "UBND tỉnh Nghệ An mới"}],
    }
    await elsewhere.apply(parse_change_set(rename), actor=ACTOR)

    async def followed() -> bool:  # the running node looks by itself, every few seconds
        return running.node.registry.version == 4

    await running.until(followed, "the running node to load version 4 by itself")


async def test_a_certificate_revoked_by_another_process_is_refused_after_refresh(
    running: Running,
) -> None:
    _, accepted = await running.send(G22, document(G22, [H41], 6))
    assert not accepted.duplicate

    serial = serial_hex(load_certificate(running.pki / f"{G22}.pem").serial_number)
    async with session_factory(running.engine).begin() as session:
        await TrustRepository().revoke(
            session, serial, at=datetime.now(UTC), reason="key compromised", actor=ACTOR
        )
    await running.node.refresh()

    with pytest.raises(SubmissionRefused) as refused:
        await running.send(G22, document(G22, [H41], 7))
    assert refused.value.code == "SIGNATURE_CERT_REVOKED"
    _, other = await running.send(H41, document(H41, [H53], 8))  # only G22's certificate
    assert [o.outcome for o in other.recipients] == [RouteOutcome.ROUTED]


async def test_statuses_move_the_delivery_forward_only_and_all_stay_in_the_timeline(
    running: Running,
) -> None:
    _, result = await running.send(G22, document(G22, [H41], 9))
    message_id = result.message_id
    await running.landed(H41, message_id)
    answers = [
        (StatusCode.ARRIVED, "Đã nhận"),
        (StatusCode.ACCEPTED, "Đã vào sổ"),
        (StatusCode.FINISHED, "Đã xử lý xong"),
        (StatusCode.ACCEPTED, "Đã vào sổ (gửi lại)"),
        (StatusCode.ARRIVED, "Đã nhận (đến muộn)"),
    ]
    sent: dict[str, tuple[bytes, SubmissionResult]] = {}
    for code, description in answers:
        sent[description] = await running.send(H41, status(H41, G22, 9, code, description))
        _, answer = sent[description]
        assert [(o.outcome, o.target) for o in answer.recipients] == [(RouteOutcome.ROUTED, G22)]
    again, first = sent["Đã vào sổ"]  # the very same signed 03 once more: answered, not re-sent
    resent = await running.node.submission.submit(again, caller_codes=frozenset({H41}))
    assert (resent.duplicate, resent.message_id) == (True, first.message_id)

    async def statuses() -> list[TimelineEntry]:
        entries = await running.timeline(message_id, H41)
        return [entry for entry in entries if entry.event is TrackingEventType.STATUS]

    async def all_recorded() -> bool:
        return len(await statuses()) >= len(answers)

    await running.until(all_recorded, "five status entries in H41's timeline")
    recorded = await statuses()
    assert [entry.status_code for entry in recorded] == [code for code, _ in answers]
    assert [entry.effect for entry in recorded] == [
        "advanced",
        "advanced",
        "advanced",
        "ignored_after_terminal",
        "ignored_after_terminal",
    ]
    view = (await running.deliveries(message_id))[H41]
    assert view.last_status is StatusCode.FINISHED

    async def all_delivered() -> bool:
        return len(await running.inbox(G22, RecordKind.STATUS)) >= len(answers)

    await running.until(all_delivered, "the five status packets in G22's inbox")
    assert len(await running.inbox(G22, RecordKind.STATUS)) == len(answers)


async def test_the_nodes_02_notices_are_in_vietnamese_and_signed_with_its_own_key(
    node_place: NodePlace,
    endpoint: ScriptedEndpoint,
) -> None:
    pki = node_place.directory / "pki"
    write_dev_pki(pki, [NOTICE_SIGNER])  # the node's own certificate, from the same CA
    async with running_node(
        node_place, push_endpoint=endpoint.url,
        notice_key_file=pki / f"{NOTICE_SIGNER}.key",
        notice_cert_file=pki / f"{NOTICE_SIGNER}.pem",
    ) as running:  # fmt: skip
        _, result = await running.send(G22, document(G22, [H41, H99], 70))

        async def noticed() -> bool:
            return len(await running.inbox(G22, RecordKind.STATUS)) == 1

        await running.until(noticed, "the 02 notice in G22's inbox")
        (item,) = await running.inbox(G22, RecordKind.STATUS)
        data = (await running.node.mailbox.fetch([G22], item.message_id)).data
    verified = PacketVerifier(load_trust_directory(pki)).verify(data, at=datetime.now(UTC))
    assert verified.signer.code == H99  # From the recipient, vouched for as a notice
    assert verified.signer.for_notices  # not as H99's own: no signer rule of H99's applies
    notice = verified.packet
    assert isinstance(notice, StatusPacket) and notice.status_code is StatusCode.REJECTED
    assert notice.description.startswith(f"Trục liên thông không chuyển được văn bản đến {H99}")
    assert "Mã lỗi: REGISTRY_UNKNOWN_CODE." in notice.description
    assert str(notice.response_for.document_id) == result.document_id
    # The node's certificate signs notices only: a document it signed for H99 is refused.
    forged = sign_packet(
        document(H99, [G22], 71),
        load_private_key(pki / f"{NOTICE_SIGNER}.key"),
        load_certificate(pki / f"{NOTICE_SIGNER}.pem"),
    )
    with pytest.raises(SignatureError) as refused:
        PacketVerifier(load_trust_directory(pki)).verify(forged, at=datetime.now(UTC))
    assert refused.value.code == "SIGNATURE_NOT_AUTHORIZED"
