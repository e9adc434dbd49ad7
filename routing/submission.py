"""The submission service: what happens between an agency handing over a packet and the answer.

    verify (parse safely, check the signature and that the signer speaks for the From code)
    -> check the caller may send as that From code
    -> de-duplicate (same sender, DocumentId and signed content: the first message id again)
    -> a status: check that its sender is a recipient of the document it answers
    -> resolve every recipient through the registry (routed, redirected, rejected)
    -> record the message and its deliveries (database), then produce one delivery record per
       recipient, their tracking events, and a 02 notice per rejected recipient, in one Kafka
       transaction (idempotent producer, acks=all)
    -> mark the submission accepted; answer (the tracker appends the acceptance and every
       delivery to the evidence log).

Only the verified content is read (`Verified.packet`); the bytes delivered are the submitted
bytes, untouched. De-duplication compares the signed content (the canonical packet the signature
covers), not the bytes: a copy re-encoded (UTF-16, a byte-order mark), re-wrapped outside the
signed part (KeyInfo's base64) or re-sent by a retrying client is the same packet. A status is
accepted only from a code the answered document was routed to, or from that code's registry
successor (`STATUS_NOT_A_RECIPIENT` otherwise), so nobody reports on, or gains sight of, a
document they never received; a status about a document this node never carried (traffic begun
on another axis) goes to its ResponseFor agency and moves no tracking.

The decision (duplicates, the status check, the routes, the rows) is a pure function of a batch
(`routing.acceptance`); this module is the shell around it: it verifies, reads what the decision
needs, and writes what it says.

The hop trace travels in the record (`hops`) and in tracking, not in the packet. A packet is
acknowledged only once Kafka holds it; a crash after the database row and before Kafka leaves
the submission `accepting`, and the sender's retry (same content) finishes it with the same
message id; the facts it produces again are recorded once (see `routing.tracking`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from sqlalchemy import Column, Index, String, Table, Text, UniqueConstraint, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from envelopes.codes import StatusCode
from envelopes.errors import PacketRefusal
from envelopes.model import DocumentPacket, Packet, StatusPacket
from envelopes.records import (
    DeliveryRecord,
    Hop,
    InlinePacket,
    PacketReference,
    RecordCodec,
    RecordKind,
    TrackingEvent,
    TrackingEventType,
)
from envelopes.records import sha256 as digest
from envelopes.spool import PacketBytes, SpooledPacket, in_memory, packet_sha256
from routing.acceptance import (
    SIGNING_GRACE,
    Accepting,
    Admitted,
    Known,
    Reported,
    Waiting,
    decide,
    document_id_of,
    reported_senders,
    rows_of,
)
from routing.backlog import DeliveryBacklog
from routing.batching import BatchQueue, QueueFull
from routing.bus import Outgoing
from routing.clock import Clock, utc_now
from routing.lifecycle import Phase
from routing.notices import NoticeSigner, Rejection, notice_id, rejection_packet
from routing.outcomes import (
    RecipientOutcome,
    RecipientResolver,
    RouteOutcome,
    SubmissionRefused,
    SubmissionResult,
    busy,
    problem_from_json,
)
from routing.payloads import PayloadStore
from routing.sender import TransactionalSender
from routing.signature_policy import Signature, SignaturePolicy, admits_unverified
from routing.sql import ROWS_PER_STATEMENT, UtcDateTime, insert_rows, metadata
from routing.topics import TopicLayout
from routing.tracking import TrackingStore
from signing.unsigned import read_unsigned

log = structlog.get_logger(__name__)

INLINE_LIMIT = 512 * 1024
"""Packets up to this size travel inside the delivery record; bigger ones by reference."""
MAX_BATCH = 256
"""Submissions accepted together: one database transaction and one Kafka commit for them."""
MAX_IN_PROGRESS = 256
"""Submissions a process holds at once (being verified or waiting for their batch); past it the
node answers `NODE_BUSY` at once, so that a saturated node says "busy, try again" in
milliseconds instead of letting answers take longer than clients wait."""
MAX_DELIVERY_DELAY = 2.0
"""Seconds the delivery worker may lag behind before new submissions are refused with
`NODE_BUSY` (`routing.backlog`; 0: never)."""
MAX_RUNNING = 4
"""Batches accepted at once: while one waits for Kafka's commit, the next is written."""


# --- what the service needs from signing and the registry ---------------------------------


class Verified(Protocol):
    """A packet whose signature holds, read from the signed content only
    (`signing.verification.VerifiedPacket` is one)."""

    @property
    def packet(self) -> Packet: ...

    @property
    def signed_for(self) -> str | None:
        """The code a certificate authorized for it in the trust store signed the packet for
        (None: a 02 an axis node signed with its notice certificate)."""

    @property
    def content_sha256(self) -> bytes:
        """SHA-256 of the canonical packet without its Signature: what the signature covers."""


class PacketVerifier(Protocol):
    """What checks a packet's signature (`signing.verification.PacketVerifier` in a node)."""

    def verify(self, data: PacketBytes, *, at: datetime) -> Verified:
        """The verified packet; raises a `PacketRefusal` when it is refused."""


class AgencySigner(Protocol):
    """What signs a packet for an agency whose key the node holds (`node-signs`)."""

    async def sign(self, data: bytes, code: str) -> bytes:
        """`data` signed for `code`; raises a `PacketRefusal` (e.g. `NODE_KEY_MISSING`)."""


submissions = Table(
    "submissions",
    metadata,
    Column("message_id", String(36), primary_key=True),
    Column("sender_code", String(64), nullable=False),
    Column("document_id", String(200), nullable=False),
    Column("packet_sha256", String(64), nullable=False),  # of the signed content: see above
    Column("kind", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("accepted_at", UtcDateTime(), nullable=True),
    Column("outcome", Text, nullable=False),
    UniqueConstraint("sender_code", "document_id", "packet_sha256"),
    Index(None, "state", "submitted_at"),
)


@dataclass(slots=True)
class SubmissionContext:
    sessions: async_sessionmaker[AsyncSession]
    payloads: PayloadStore
    verifier: PacketVerifier
    resolver: RecipientResolver
    sender: TransactionalSender
    layout: TopicLayout
    node_id: str
    codec: RecordCodec = field(default_factory=RecordCodec)
    tracking: TrackingStore = field(default_factory=TrackingStore)
    clock: Clock = utc_now
    inline_limit: int = INLINE_LIMIT
    agency_signer: AgencySigner | None = None
    """Signs for agencies under `node-signs` (None: this node holds no agency keys)."""
    notices: NoticeSigner | None = None
    """Signs the 02 notices the node writes (None: they go unsigned)."""
    signing_grace: timedelta = SIGNING_GRACE
    """How long after its code closes a certificate authorized for it still signs for it
    (`routing.acceptance.closed_signer`)."""


class SubmissionService:
    """Accepts packets from agencies; `submit` is what the HTTP API calls."""

    def __init__(
        self,
        context: SubmissionContext,
        *,
        max_batch: int = MAX_BATCH,
        max_in_progress: int = MAX_IN_PROGRESS,
        backlog: DeliveryBacklog | None = None,
        max_delivery_delay: float = MAX_DELIVERY_DELAY,
    ) -> None:
        self._context = context
        self._backlog = backlog
        self._max_delivery_delay = max_delivery_delay
        self._batches: BatchQueue[Waiting, SubmissionResult] = BatchQueue(
            self._accept,
            max_batch=max_batch,
            max_waiting=max_in_progress,
            max_running=MAX_RUNNING,
        )
        self._max_in_progress = max_in_progress
        self._in_progress = 0
        self._in_flight: dict[tuple[str, str, str], asyncio.Future[SubmissionResult]] = {}
        """Packets being accepted, by `_key`: the same packet again waits for their answer."""

    async def submit(
        self,
        data: PacketBytes,
        *,
        caller_codes: frozenset[str] | None,
        caller: str = "?",
        policy: SignaturePolicy = SignaturePolicy.REQUIRE,
    ) -> SubmissionResult:
        """Accept `data` from a client allowed to send as `caller_codes` (None: any code),
        under the client's signature `policy`. The packet is verified here; what follows
        (de-duplication, routing, the records in the database and on Kafka) is done for a
        batch of concurrent submissions at once (`_accept`). `SubmissionRefused` when refused,
        `NODE_BUSY` among them when the node is `saturated`. A large packet comes spooled
        (`envelopes.spool`): it is verified in a worker thread, from its spool."""
        if self.saturated():
            raise busy()
        self._in_progress += 1
        try:
            return await self._submit(data, caller_codes, caller, policy)
        finally:
            self._in_progress -= 1

    def saturated(self) -> bool:
        """Too many submissions in progress, or this process delivers too far behind what it
        accepted (`routing.backlog`): a new submission is answered `NODE_BUSY`."""
        if self._in_progress >= self._max_in_progress:
            return True
        limit = self._max_delivery_delay
        return self._backlog is not None and limit > 0 and self._backlog.delay() > limit

    async def _submit(
        self,
        data: PacketBytes,
        caller_codes: frozenset[str] | None,
        caller: str,
        policy: SignaturePolicy,
    ) -> SubmissionResult:
        context = self._context
        now = context.clock()
        if isinstance(data, SpooledPacket):  # 0.6 s of CPU for 70 MB: kept off the event loop
            admitted = await asyncio.to_thread(self._admit, data, now, policy, caller_codes)
        else:
            admitted = self._admit(data, now, policy, caller_codes)
        if admitted.to_sign is not None:
            packet = admitted.packet
            earlier = await self._earlier(
                {(packet.sender_code, document_id_of(packet), admitted.content)}
            )
            found = next(iter(earlier.values()), None)
            if found is not None and found.duplicate:
                return found  # signed before: not signed again
            admitted = await self._node_signed(admitted, data, now)
        key = admitted.key
        pending = self._in_flight.get(key)
        if pending is not None:  # the same packet is being accepted right now: its answer
            answer = await asyncio.shield(pending)
            return dataclasses.replace(answer, duplicate=True)
        try:
            accepting = self._batches.submit(Waiting(admitted, caller, now))
        except QueueFull:
            raise busy() from None
        self._in_flight[key] = accepting
        accepting.add_done_callback(lambda _: self._in_flight.pop(key, None))
        return await asyncio.shield(accepting)

    async def _accept(self, batch: Sequence[Waiting]) -> list[SubmissionResult | BaseException]:
        """A batch of verified submissions (no packet twice: `submit` keeps copies out): what
        the database knows of them is read, `routing.acceptance.decide` says what each becomes,
        and the accepted ones are recorded in one database transaction, produced in one Kafka
        transaction, then marked accepted in one statement. A refusal or failure is the answer
        of the submission it concerns; a failure of the shared writes, of them all."""
        context = self._context
        answers: list[SubmissionResult | BaseException | None] = [None] * len(batch)
        earlier = await self._earlier({s.admitted.key for s in batch})
        deciding: list[tuple[int, Waiting, Known]] = []
        for index, waiting in enumerate(batch):
            try:  # the database away for this one: its answer only
                known = await self._known(waiting.admitted, earlier.get(waiting.admitted.key))
            except Exception as error:
                answers[index] = error
            else:
                deciding.append((index, waiting, known))
        decisions = decide(
            [w for _, w, _ in deciding], [k for _, _, k in deciding], context.resolver,
            sha=lambda data: packet_sha256(data).hex(), signing_grace=context.signing_grace,
        )  # fmt: skip
        accepted: list[Accepting] = []
        for (index, _, _), decision in zip(deciding, decisions, strict=True):
            if isinstance(decision, Accepting):
                accepted.append(dataclasses.replace(decision, index=index))
            else:
                answers[index] = decision
        if accepted:
            try:
                await self._record(accepted)
                records = [r for a in accepted for r in await self._records(a)]
                await context.sender.send(records)
                await self._accepted(accepted)
            except Exception as error:
                for item in accepted:
                    answers[item.index] = error
            else:
                for item in accepted:
                    answers[item.index] = item.result
                    _log_accepted(item)
        return [a for a in answers if a is not None]

    def _admit(
        self,
        data: PacketBytes,
        now: datetime,
        policy: SignaturePolicy,
        caller_codes: frozenset[str] | None,
    ) -> Admitted:
        """The packet as the client's signature policy lets it in (see
        `routing.signature_policy`); `SubmissionRefused` otherwise. The caller's codes are
        checked before anything is signed for them."""
        try:
            verified = self._context.verifier.verify(data, at=now)
        except PacketRefusal as error:  # anything else escaping is a bug, answered as one
            if not admits_unverified(policy, error.code):
                raise _refused(error) from error
            try:
                data = in_memory(data)
                unsigned = read_unsigned(data)
            except PacketRefusal as unreadable:
                raise _refused(unreadable) from unreadable
            _check_sender(unsigned.packet, caller_codes)
            content = digest(unsigned.content).hex()
            if policy is SignaturePolicy.ACCEPT_AUTHENTICATED:
                return Admitted(unsigned.packet, data, content, Signature.CLIENT_AUTHENTICATED)
            return Admitted(
                unsigned.packet, data, content, Signature.NODE_SIGNED, to_sign=unsigned.stripped
            )
        _check_sender(verified.packet, caller_codes)
        return Admitted(
            verified.packet, data, verified.content_sha256.hex(), Signature.VERIFIED,
            signed_for=verified.signed_for,
        )  # fmt: skip

    async def _node_signed(
        self, admitted: Admitted, submitted: PacketBytes, now: datetime
    ) -> Admitted:
        """`node-signs`: the node signs the packet for its From code with the key it holds for
        that agency, checks the result like any signed packet, and keeps the submitted bytes
        (the evidence log names them by their SHA-256)."""
        context = self._context
        code = admitted.packet.sender_code
        if context.agency_signer is None or admitted.to_sign is None:
            raise SubmissionRefused(
                "NODE_KEY_MISSING",
                f"This client's packets are signed by the node, but the node holds no key for "
                f"{code}: an operator imports one (axis keys import-agency-key {code} ...).",
            )
        try:
            signed = await context.agency_signer.sign(admitted.to_sign, code)
            verified = context.verifier.verify(signed, at=now)
        except PacketRefusal as error:
            raise SubmissionRefused(
                error.code,
                f"The node could not sign for {code}: {error.message}",
                [p.as_dict() for p in error.problems],
            ) from error
        await context.payloads.put(_source(submitted))  # kept: the evidence log names it
        return Admitted(
            verified.packet, signed, verified.content_sha256.hex(), Signature.NODE_SIGNED,
            signed_for=code,
        )  # fmt: skip

    async def _earlier(
        self, keys: set[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], SubmissionResult]:
        """The earlier submissions of the same signed contents (keyed by sender, DocumentId
        and content digest): accepted (answer them again) or left half-way by a crash
        (finish them under the same message id)."""
        found: dict[tuple[str, str, str], SubmissionResult] = {}
        contents = sorted({content for _, _, content in keys})
        async with self._context.sessions() as session:
            for start in range(0, len(contents), ROWS_PER_STATEMENT):
                chunk = contents[start : start + ROWS_PER_STATEMENT]
                rows = await session.execute(
                    select(submissions).where(submissions.c.packet_sha256.in_(chunk))
                )
                for row in rows:
                    data = row._mapping
                    key = (data["sender_code"], data["document_id"], data["packet_sha256"])
                    if key in keys:
                        found[key] = _stored_result(data)
        return found

    async def _known(self, admitted: Admitted, earlier: SubmissionResult | None) -> Known:
        """What the database says of one submission, for `decide`."""
        packet = admitted.packet
        if earlier is not None and earlier.duplicate:
            return Known(earlier)
        if isinstance(packet, StatusPacket):
            return Known(earlier, reported=await self._reported(packet))
        return Known(earlier, recipients_of=await self._earlier_recipients(packet))

    async def _earlier_recipients(self, packet: DocumentPacket) -> dict[str, tuple[str, ...]]:
        """For revoke/update/replace: who received each document acted upon."""
        business = packet.business
        acted = [business.document_id] if business.document_id else []
        acted += [r.document_id for r in business.replacements if r.document_id is not None]
        found: dict[str, tuple[str, ...]] = {}
        if not acted:
            return found
        async with self._context.sessions() as session:
            for document_id in acted:
                if document_id is None:
                    continue
                codes: list[str] = []
                messages = await self._context.tracking.messages_by_document(
                    session, str(document_id), sender_code=packet.sender_code
                )
                for message in messages:
                    for delivery in await self._context.tracking.deliveries_of(
                        session, message.message_id
                    ):
                        if delivery.phase is not Phase.FAILED:
                            codes.append(delivery.recipient_code)
                found[str(document_id)] = tuple(dict.fromkeys(codes))
        return found

    async def _reported(self, packet: StatusPacket) -> list[Reported]:
        """The documents a status may report on (`acceptance.answered_by` chooses), oldest
        first, with the codes each was routed to."""
        tracking = self._context.tracking
        senders = reported_senders(packet)
        async with self._context.sessions() as session:
            messages = await tracking.messages_by_document(
                session, str(packet.response_for.document_id)
            )
            return [
                Reported(
                    m.message_id,
                    m.sender_code,
                    tuple(
                        d.recipient_code
                        for d in await tracking.deliveries_of(session, m.message_id)
                        if d.routed
                    ),
                )
                for m in messages
                if m.kind is RecordKind.DOCUMENT and m.sender_code in senders
            ]

    async def _record(self, accepted: Sequence[Accepting]) -> None:
        """The batch's rows (`acceptance.rows_of`) in one transaction of multi-row statements."""
        context = self._context
        rows = rows_of(accepted)
        async with context.sessions.begin() as session:
            await insert_rows(session, submissions, rows.submissions, "message_id")
            await context.tracking.record_messages(session, rows.messages)
            await context.tracking.record_deliveries(session, rows.deliveries)

    async def _records(self, item: Accepting) -> list[Outgoing]:
        """What a submission produces: its delivery records, tracking events and notices."""
        context = self._context
        result, packet, plan, now = item.result, item.packet, item.plan, item.at
        data, caller = item.waiting.admitted.data, item.waiting.caller
        layout = context.layout
        body: InlinePacket | PacketReference
        if isinstance(data, bytes) and len(data) <= context.inline_limit:
            body = InlinePacket(data)
        else:
            ref = await context.payloads.put(_source(data))
            body = PacketReference(ref.uri, ref.size)
        priority = packet.other_info.priority if isinstance(packet, DocumentPacket) else None
        hop = Hop(organ_id=result.sender_code, at=now, node_id=context.node_id)
        accepted = f"accepted from {caller}, {len(data)} bytes, {_SIGNATURE_SAID[result.signature]}"
        findings = ""
        if result.findings:  # in each recipient's timeline too, where clerks read it
            findings = "findings: " + ", ".join(dict.fromkeys(str(f.code) for f in result.findings))
            accepted += f"; {findings}"
        out = [
            self._event(
                result.message_id, result.sender_code, TrackingEventType.ACCEPTED, now,
                detail=accepted,
            )
        ]  # fmt: skip
        for target, business_type, redirected_from in plan.deliveries:
            record = DeliveryRecord(
                message_id=result.message_id,
                kind=result.kind,
                sender_code=result.sender_code,
                recipient_code=target,
                document_id=result.document_id,
                packet=body,
                packet_sha256=bytes.fromhex(item.sha),
                submitted_at=now,
                hops=(hop,),
                redirected_from=redirected_from,
                business_type=business_type,
                priority=priority,
            )
            out.append(
                Outgoing(layout.deliveries.name, target.encode(), context.codec.encode(record))
            )
            event = TrackingEventType.REDIRECTED if redirected_from else TrackingEventType.ROUTED
            said = [f"from {redirected_from}" if redirected_from else "", findings]
            detail = "; ".join(part for part in said if part) or None
            out.append(self._event(result.message_id, target, event, now, detail=detail))
        for outcome in result.recipients:
            if outcome.outcome is RouteOutcome.REJECTED:
                out.extend(self._rejected(result, outcome, now))
        if plan.answers is not None and isinstance(packet, StatusPacket):
            # The status moves the delivery of the answered document (forward only); the fact
            # is this status packet, recorded once however often its submission is redone.
            answered = plan.answers
            detail = packet.description[:500] or None
            if answered.recipient_code != packet.sender_code:
                detail = f"from {packet.sender_code}, successor of {answered.recipient_code}" + (
                    f": {detail}" if detail else ""
                )
            out.append(
                self._event(
                    answered.message_id, answered.recipient_code, TrackingEventType.STATUS, now,
                    status=packet.status_code, detail=detail,
                    fact=f"status-packet/{result.message_id}",
                )
            )  # fmt: skip
        return out

    def _rejected(
        self, result: SubmissionResult, outcome: RecipientOutcome, now: datetime
    ) -> list[Outgoing]:
        """A refused recipient: tracked as rejected; the sender gets a 02 with the reason
        (not for a status packet: a status is never answered with a status)."""
        reason = f"{outcome.reason_code}: {outcome.reason}"
        out = [
            self._event(
                result.message_id, outcome.addressed, TrackingEventType.REJECTED, now, detail=reason
            )
        ]
        if result.kind is RecordKind.STATUS:
            return out
        context = self._context
        notice = rejection_packet(
            Rejection(
                message_id=result.message_id,
                sender_code=result.sender_code,
                recipient_code=outcome.addressed,
                document_id=result.document_id,
                reason=reason,
                at=now,
                node_id=context.node_id,
            ),
            context.notices,
        )
        record = DeliveryRecord(
            message_id=notice_id(result.message_id, outcome.addressed),
            kind=RecordKind.STATUS,
            sender_code=outcome.addressed,
            recipient_code=result.sender_code,
            document_id=result.document_id,
            packet=InlinePacket(notice),
            packet_sha256=digest(notice),
            submitted_at=now,
        )
        out.append(
            Outgoing(
                context.layout.deliveries.name,
                result.sender_code.encode(),
                context.codec.encode(record),
            )
        )
        out.append(
            self._event(
                result.message_id, outcome.addressed, TrackingEventType.STATUS, now,
                status=StatusCode.REJECTED, detail="generated by the axis", fact="axis-02",
            )
        )  # fmt: skip
        return out

    def _event(
        self,
        message_id: uuid.UUID,
        recipient: str,
        event: TrackingEventType,
        now: datetime,
        *,
        detail: str | None = None,
        status: StatusCode | None = None,
        fact: str | None = None,
    ) -> Outgoing:
        context = self._context
        tracking = TrackingEvent(
            message_id=message_id,
            recipient_code=recipient,
            event=event,
            at=now,
            attempt=1,
            node_id=context.node_id,
            status_code=status,
            detail=detail,
            fact=fact,
        )
        return Outgoing(
            context.layout.tracking.name, str(message_id).encode(), context.codec.encode(tracking)
        )

    async def _accepted(self, accepted: Sequence[Accepting]) -> None:
        """Mark the submissions accepted, once Kafka holds their records."""
        ids = [str(item.result.message_id) for item in accepted]
        at = self._context.clock()
        async with self._context.sessions.begin() as session:
            for start in range(0, len(ids), ROWS_PER_STATEMENT):
                await session.execute(
                    update(submissions)
                    .where(submissions.c.message_id.in_(ids[start : start + ROWS_PER_STATEMENT]))
                    .values(state="accepted", accepted_at=at)
                )


def _source(data: PacketBytes) -> bytes | AsyncIterator[bytes]:
    """What the payload store reads the packet from: its bytes, or its spool slice by slice."""
    return data.stream() if isinstance(data, SpooledPacket) else data


def _stored_result(data: RowMapping) -> SubmissionResult:
    stored = json.loads(data["outcome"])
    if isinstance(stored, list):  # written before findings were kept
        stored = {"recipients": stored, "findings": []}
    return SubmissionResult(
        uuid.UUID(data["message_id"]),
        RecordKind(data["kind"]),
        data["sender_code"],
        data["document_id"],
        tuple(RecipientOutcome.from_dict(o) for o in stored["recipients"]),
        duplicate=data["state"] == "accepted",
        findings=tuple(problem_from_json(f) for f in stored["findings"]),
        signature=Signature(stored.get("signature", Signature.VERIFIED.value)),
    )


def _log_accepted(item: Accepting) -> None:
    outcomes = item.plan.outcomes
    log.info(
        "packet accepted",
        message_id=str(item.result.message_id),
        sender=item.result.sender_code,
        kind=item.result.kind.value,
        routed=sum(o.outcome is not RouteOutcome.REJECTED for o in outcomes),
        rejected=sum(o.outcome is RouteOutcome.REJECTED for o in outcomes),
    )


_SIGNATURE_SAID = {
    Signature.VERIFIED: "signature verified",
    Signature.NODE_SIGNED: "unsigned as submitted, signed by the node for its From code "
    "(the submitted bytes are kept)",
    Signature.CLIENT_AUTHENTICATED: "unsigned, client-authenticated",
}


def _refused(error: PacketRefusal) -> SubmissionRefused:
    return SubmissionRefused(error.code, error.message, [p.as_dict() for p in error.problems])


def _check_sender(packet: Packet, caller_codes: frozenset[str] | None) -> None:
    sender = packet.sender_code
    if caller_codes is not None and sender not in caller_codes:
        raise SubmissionRefused(
            "SUBMIT_SENDER_NOT_ALLOWED",
            f"This client may send as {', '.join(sorted(caller_codes)) or 'no code'}, "
            f"not as {sender} (the packet's From).",
        )
