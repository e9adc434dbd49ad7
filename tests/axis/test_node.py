"""The assembled node (`open_node`, `Node.run`, `Node.refresh`) on real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.db import session_factory
from axis.migrations.runner import upgrade
from axis.node import Node, open_node
from axis.settings import load_settings
from axis.trust_repository import TrustRepository
from envelopes.codes import StatusCode
from envelopes.model import StatusPacket
from envelopes.parsing import parse_packet
from envelopes.records import RecordKind, TrackingEventType
from orgcodes.changes import parse_change_set
from orgcodes.service import RegistryService
from routing.inbox import Ack, InboxAckConflict, InboxItem, InboxItemNotFound
from routing.lifecycle import Phase
from routing.node import WorkerRole
from routing.notices import notice_id
from routing.submission import RouteOutcome, SubmissionRefused, SubmissionResult
from routing.tracking import DeliveryView, TimelineEntry, TrackingStore
from signing.certificates import load_certificate, load_private_key, serial_hex
from signing.dev_pki import write_dev_pki
from signing.signer import sign_packet
from tests.support.bus import EndpointServer, ScriptedEndpoint, eventually
from tests.support.packets import document, status

pytestmark = pytest.mark.integration

G22, H41, H53, H39, H99 = (
    "000.00.00.G22",
    "000.00.00.H41",
    "000.00.00.H53",
    "000.00.00.H39",
    "000.00.00.H99",
)
DISTRICT = "000.00.21.H39"
"""A district of Long An (H39), closed outright on 2025-07-01."""
PUSHED = "000.00.00.H26"
"""A unit whose document management system takes packets by push."""
NEWCOMER = "000.00.00.H30"
"""A unit created by a version applied while the node runs."""
ACTOR = "test_node"


def unit(code: str, name: str, *, parent: str | None = None, **details: str) -> dict[str, Any]:
    level = 1 if parent is None else 2
    created = {"code": code, "name": name, "parent": parent, "level": level, **details}
    return {"op": "create", "unit": created}


def registry_versions(push_endpoint: str) -> list[dict[str, Any]]:
    """Version 1 (2020): a few provinces, a district and a push unit; version 2 (2025-07-01):
    the district closed, Long An merged into Tay Ninh."""
    baseline = [
        unit(G22, "Văn phòng Chính phủ"),
        unit(H41, "UBND tỉnh Nghệ An"),
        unit(H53, "UBND tỉnh Tây Ninh"),
        unit(H39, "UBND tỉnh Long An"),
        unit(DISTRICT, "UBND huyện Bến Lức", parent=H39),
        unit(PUSHED, "Sở Tư pháp", delivery_mode="push", endpoint=push_endpoint),
    ]
    rearrangement = [
        {"op": "close", "code": DISTRICT},
        {"op": "merge", "from": [H53, H39], "into": H53},
    ]
    return [
        {"effective": "2020-01-01T00:00:00+07:00", "reason": "baseline", "changes": baseline},
        {
            "effective": "2025-07-01T00:00:00+07:00",
            "reason": "Resolution 202/2025",
            "changes": rearrangement,
        },
    ]


def signed(data: bytes, pki: Path, code: str) -> bytes:
    return sign_packet(
        data, load_private_key(pki / f"{code}.key"), load_certificate(pki / f"{code}.pem")
    )


@dataclass
class Running:
    """A node running all its workers, with the database and development PKI it was given."""

    node: Node
    engine: AsyncEngine
    pki: Path
    task: asyncio.Task[None]

    async def until(self, check: Callable[[], Awaitable[bool]], what: str) -> None:
        """`eventually`, failing at once with the node's error when the node stops."""

        async def alive() -> bool:
            if self.task.done():
                self.task.result()
                raise AssertionError(f"the node stopped while waiting for {what}")
            return await check()

        await eventually(alive, what=what)

    async def send(self, code: str, packet: bytes) -> tuple[bytes, SubmissionResult]:
        """`packet` signed with `code`'s key and submitted by a client of `code`."""
        data = signed(packet, self.pki, code)
        submit = self.node.submission.submit
        return data, await submit(data, caller_codes=frozenset({code}), caller=ACTOR)

    async def inbox(self, code: str, kind: RecordKind = RecordKind.DOCUMENT) -> list[InboxItem]:
        return await self.node.mailbox.list([code], kind=kind)

    async def landed(self, code: str, message_id: UUID) -> InboxItem:
        """Wait until `message_id` is in `code`'s inbox; its item."""

        async def there() -> bool:
            return any(item.message_id == message_id for item in await self.inbox(code))

        await self.until(there, f"message {message_id} in {code}'s inbox")
        (item,) = [item for item in await self.inbox(code) if item.message_id == message_id]
        return item

    async def deliveries(self, message_id: UUID) -> dict[str, DeliveryView]:
        async with self.node.sessions() as session:
            found = await TrackingStore().deliveries_of(session, message_id)
        return {view.recipient_code: view for view in found}

    async def reaches(self, message_id: UUID, recipient: str, phase: Phase) -> DeliveryView:
        """Wait until tracking shows the delivery in `phase`; the delivery."""

        async def reached() -> bool:
            view = (await self.deliveries(message_id)).get(recipient)
            return view is not None and view.phase is phase

        await self.until(reached, f"the delivery to {recipient} in phase {phase.value}")
        return (await self.deliveries(message_id))[recipient]

    async def timeline(self, message_id: UUID, recipient: str) -> list[TimelineEntry]:
        async with self.node.sessions() as session:
            return await TrackingStore().timeline(session, message_id, recipient)


@pytest.fixture
def endpoint() -> ScriptedEndpoint:
    """The push unit's endpoint (served only by the test about push): fails twice, then takes."""
    return ScriptedEndpoint(fail_first=2)


@pytest.fixture
async def running(
    pg_engine: AsyncEngine,
    postgres_url: str,
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
    endpoint: ScriptedEndpoint,
) -> AsyncIterator[Running]:
    await upgrade(pg_engine)
    sessions = session_factory(pg_engine)
    registry = RegistryService(sessions)
    for change_set in registry_versions(endpoint.url):
        await registry.apply(parse_change_set(change_set), actor=ACTOR)
    pki = tmp_path / "pki"
    await asyncio.to_thread(write_dev_pki, pki, [G22, H41, H53])
    async with sessions.begin() as session:
        await TrustRepository().import_directory(session, pki, actor=ACTOR, at=datetime.now(UTC))
    async with pg_engine.connect() as connection:
        schema = await connection.scalar(text("SELECT current_schema()"))
    settings = load_settings(
        database_url=postgres_url,
        database_schema=schema,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        data_dir=tmp_path,
        retry_delays="1s,2s",
        retry_horizon="6s",
        partitions=2,
        node_id="test-node",
    )
    async with open_node(settings) as node:
        assert node.registry.version == 2
        stop = asyncio.Event()
        task = asyncio.create_task(node.run(list(WorkerRole), stop))
        try:
            yield Running(node, pg_engine, pki, task)
        finally:
            stop.set()
            await task


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
