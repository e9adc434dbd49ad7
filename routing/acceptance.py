"""What a batch of verified submissions becomes, as a pure function: the packets, what the
database said of them (earlier submissions of the same content, who received the documents a
revoke or a status acts upon) and the registry's routes in, answers and rows out. No I/O: the
submission service (`routing.submission`) reads what `decide` needs, then writes what it says.

    earlier accepted copy            -> its answer again (duplicate)
    earlier copy left half-way       -> finished under the same message id
    a status                         -> the delivery it reports on (its sender must be a
                                        recipient of that document, or the registry successor
                                        of one: `STATUS_NOT_A_RECIPIENT` otherwise)
    every addressed code             -> routed, redirected (to the successor) or rejected;
                                        two codes leading to one unit are delivered once
    signed for a code closed longer  -> `SIGNER_CODE_CLOSED`: a certificate authorized for a
    than the signing grace              code stops signing for it when the code closes
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from envelopes.codes import BusinessDocType, StatusCode
from envelopes.model import DocumentPacket, Packet, StatusPacket
from envelopes.records import RecordKind
from envelopes.spool import PacketBytes
from routing.business import targets
from routing.lifecycle import Phase
from routing.outcomes import (
    REGISTRY_STALE,
    RecipientOutcome,
    RecipientResolver,
    RouteOutcome,
    SubmissionRefused,
    SubmissionResult,
    registry_stale,
)
from routing.signature_policy import Signature
from routing.tracked import MessageInfo, NewDelivery


@dataclass(frozen=True, slots=True)
class Admitted:
    """A packet the client's signature policy lets in: what is read, routed and compared."""

    packet: Packet
    data: PacketBytes
    """The bytes to route (the submitted ones, spooled when large, or the node's signed
    packet)."""
    content: str
    """SHA-256 (hex) of the signed content, or of the same canonical form when unsigned."""
    signature: Signature
    to_sign: bytes | None = None
    """Under `node-signs`, before signing: the packet without its legacy signature."""
    signed_for: str | None = None
    """The code a certificate authorized for it in the trust store signed the packet for (its
    From; under `node-signs`, the key the node holds for it). None when the packet is routed
    unsigned, or was signed by an axis node's notice certificate."""

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two submissions the same: sender, DocumentId and signed content."""
        return (self.packet.sender_code, document_id_of(self.packet), self.content)


@dataclass(frozen=True, slots=True)
class Waiting:
    """A verified packet waiting for its batch."""

    admitted: Admitted
    caller: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Reported:
    """A document a status may report on, as tracking knows it: its message, its sender and
    the codes it was routed to."""

    message_id: uuid.UUID
    sender_code: str
    routed_to: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Known:
    """What the database said of one submission, read before deciding."""

    earlier: SubmissionResult | None = None
    """An earlier submission of the same content: accepted, or left half-way by a crash."""
    recipients_of: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """For a revoke, update or replace: who received each document it acts upon."""
    reported: Sequence[Reported] | None = None
    """For a status: the documents its ResponseFor names, oldest first (None: not a status)."""


@dataclass(frozen=True, slots=True)
class Answered:
    """The delivery a status packet reports on: the document's message and the recipient code
    it was routed to (the status's sender, or the code that sender succeeded)."""

    message_id: uuid.UUID
    recipient_code: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What one packet becomes: its outcome per recipient and the deliveries to produce."""

    outcomes: list[RecipientOutcome]
    deliveries: list[tuple[str, BusinessDocType | None, str | None]]
    """(recipient, business type for it, the code the sender wrote when redirected)"""
    answers: Answered | None = None
    """For a status packet: the delivery it reports on, when this node carried the document."""


@dataclass(frozen=True, slots=True)
class Accepting:
    """A submission of a batch being accepted: its answer and what it produces."""

    index: int
    waiting: Waiting
    result: SubmissionResult
    plan: Plan
    sha: str
    """SHA-256 (hex) of the bytes routed."""

    @property
    def packet(self) -> Packet:
        return self.waiting.admitted.packet

    @property
    def at(self) -> datetime:
        return self.waiting.at


SIGNING_GRACE = timedelta(hours=24)
"""The default of `AXIS_CLOSED_CODE_SIGNING_GRACE`."""

Decision = Accepting | SubmissionResult | SubmissionRefused
"""Per submission: accepted now, answered as before (a duplicate), or refused."""


def decide(
    batch: Sequence[Waiting],
    known: Sequence[Known],
    resolver: RecipientResolver,
    *,
    new_id: Callable[[], uuid.UUID] = uuid.uuid4,
    sha: Callable[[PacketBytes], str],
    signing_grace: timedelta = SIGNING_GRACE,
) -> list[Decision]:
    """The decision for each submission of `batch` (`known[i]` is what the database said of
    `batch[i]`), in the same order; `signing_grace`: how long after its code closes a
    certificate authorized for it still signs for it (`closed_signer`)."""
    decisions: list[Decision] = []
    for index, (waiting, said) in enumerate(zip(batch, known, strict=True)):
        earlier = said.earlier
        if earlier is not None and earlier.duplicate:
            decisions.append(earlier)
            continue
        admitted = waiting.admitted
        packet = admitted.packet
        try:
            closed_signer(admitted, waiting.at, resolver, signing_grace)
            plan = plan_for(packet, waiting.at, resolver, said)
        except SubmissionRefused as refused:
            decisions.append(refused)
            continue
        kind = RecordKind.STATUS if isinstance(packet, StatusPacket) else RecordKind.DOCUMENT
        result = SubmissionResult(
            earlier.message_id if earlier is not None else new_id(),
            kind, packet.sender_code, document_id_of(packet), tuple(plan.outcomes),
            findings=packet.findings, signature=admitted.signature,
        )  # fmt: skip
        decisions.append(Accepting(index, waiting, result, plan, sha(admitted.data)))
    return decisions


def closed_signer(
    admitted: Admitted, now: datetime, resolver: RecipientResolver, grace: timedelta
) -> None:
    """Refuse a packet signed for a code that closed more than `grace` ago.

    A certificate in the trust store is authorized for an organization code; when the registry
    closes that code (merged, split, closed outright, or replaced by a new code), the
    certificate stops signing for it. `grace` lets through the packets signed just before the
    change and sent after it (and the statuses of a unit's last day). The rule is about the
    *certificate*: a packet routed unsigned on its client's credentials, or a 02 an axis node
    signed with its notice certificate, is not concerned; nor is a code the registry does not
    know (real traffic carries such codes), nor any code while the registry is stale."""
    code = admitted.signed_for
    if code is None:
        return
    route = resolver.route(code, at=now)
    if not route.closed or not resolver.route(code, at=now - grace).closed:
        return
    if route.outcome is RouteOutcome.REDIRECTED:
        became = f"its documents now go to {route.target} along {' -> '.join(route.chain)}"
    else:
        became = route.reason or "it has no successor"
    raise SubmissionRefused(
        "SIGNER_CODE_CLOSED",
        f"{code} closed more than {_hours(grace)} ago (registry version "
        f"{route.registry_version}; {became}): a certificate authorized for {code} stopped "
        "signing for it then. The successor sends with its own code and certificate.",
    )


def _hours(period: timedelta) -> str:
    hours = period.total_seconds() / 3600
    return f"{hours:g} h" if hours >= 1 else f"{period.total_seconds():g} s"


def plan_for(packet: Packet, now: datetime, resolver: RecipientResolver, known: Known) -> Plan:
    """Who `packet` goes to and how each addressed code is routed at `now`."""
    answers: Answered | None = None
    if isinstance(packet, StatusPacket):
        addressed: list[tuple[str, BusinessDocType | None]] = [(packet.response_for.organ_id, None)]
        answers = answered_by(packet, known.reported or (), resolver, now)
    else:
        recipients_of = known.recipients_of
        addressed = [
            (t.code, t.business_type)
            for t in targets(packet, lambda d: recipients_of.get(str(d), ()))
        ]
    outcomes: list[RecipientOutcome] = []
    deliveries: list[tuple[str, BusinessDocType | None, str | None]] = []
    seen: set[str] = set()
    for code, business_type in addressed:
        route = resolver.route(code, at=now)
        outcomes.append(
            RecipientOutcome(
                code, route.outcome, route.target, route.chain, route.reason_code, route.reason
            )
        )
        if route.outcome is RouteOutcome.REJECTED or route.target is None:
            continue
        if route.target in seen:  # two codes that now lead to one unit: deliver once
            continue
        seen.add(route.target)
        redirected_from = code if route.outcome is RouteOutcome.REDIRECTED else None
        deliveries.append((route.target, business_type, redirected_from))
    unsure = [o for o in outcomes if o.reason_code == REGISTRY_STALE]
    if unsure:
        raise registry_stale(unsure[0].reason or "", [o.addressed for o in unsure])
    return Plan(outcomes, deliveries, answers)


def reported_senders(packet: StatusPacket) -> set[str]:
    """Who may have sent the document a status reports on: ResponseFor/OrganId, or (when a
    code changed, or for a 13 the sender addresses to a recipient) the code heading the
    DocumentId."""
    reported_on = packet.response_for
    return {reported_on.organ_id, reported_on.document_id.sender}


def answered_by(
    packet: StatusPacket,
    reported: Sequence[Reported],
    resolver: RecipientResolver,
    now: datetime,
) -> Answered | None:
    """The delivery a status reports on: of the documents `reported` (oldest first), the newest
    routed to the status's sender or to a code it now succeeds. None when this node never
    carried such a document, or when the status comes from the document's own sender (a 13:
    it moves no delivery); `STATUS_NOT_A_RECIPIENT` when the node carried it, but not to that
    sender."""
    sender = packet.sender_code
    senders = reported_senders(packet)
    documents = [r for r in reported if r.sender_code in senders]
    if any(r.sender_code == sender for r in documents):
        return None
    for document in reversed(documents):
        for code in document.routed_to:
            if code == sender or _succeeds(resolver, sender, code, now):
                return Answered(document.message_id, code)
    if not documents:
        return None
    document_id = str(packet.response_for.document_id)
    raise SubmissionRefused(
        "STATUS_NOT_A_RECIPIENT",
        f"{sender} cannot report a status on document {document_id}: a status comes only "
        "from a recipient the document was routed to, or from the unit that succeeded it.",
    )


def _succeeds(resolver: RecipientResolver, sender: str, code: str, now: datetime) -> bool:
    """Whether `code` now leads to `sender` in the registry (closed, merged into it)."""
    route = resolver.route(code, at=now)
    return route.outcome is RouteOutcome.REDIRECTED and route.target == sender


@dataclass(frozen=True, slots=True)
class Rows:
    """What a batch of accepted submissions writes in its one database transaction."""

    submissions: list[dict[str, object]]
    messages: list[MessageInfo]
    deliveries: list[NewDelivery]


def rows_of(accepted: Sequence[Accepting]) -> Rows:
    """The submissions (state `accepting`), their messages and their deliveries (a rejected
    recipient's delivery is recorded failed, with the reason)."""
    rows = Rows([], [], [])
    for item in accepted:
        result, packet, plan, now = item.result, item.packet, item.plan, item.at
        document = packet if isinstance(packet, DocumentPacket) else None
        rows.submissions.append(
            {
                "message_id": str(result.message_id),
                "sender_code": result.sender_code,
                "document_id": result.document_id,
                "packet_sha256": item.waiting.admitted.content,
                "kind": result.kind.value,
                "state": "accepting",
                "submitted_at": now,
                "accepted_at": None,
                "outcome": result.stored(),
            }
        )
        status: StatusCode | None = None
        if isinstance(packet, StatusPacket):
            status = packet.status_code
        rows.messages.append(
            MessageInfo(
                message_id=result.message_id,
                kind=result.kind,
                sender_code=result.sender_code,
                document_id=result.document_id,
                packet_sha256=item.sha,
                submitted_at=now,
                business_type=document.business.doc_type.value if document else None,
                answers_message_id=plan.answers.message_id if plan.answers else None,
                status_code=status,
                subject=document.subject if document else None,
                notation=str(document.code) if document else None,
            )
        )
        for target, _, redirected_from in plan.deliveries:
            rows.deliveries.append(
                NewDelivery(result.message_id, target, now, addressed_to=redirected_from)
            )
        for outcome in result.recipients:
            if outcome.outcome is RouteOutcome.REJECTED:
                rows.deliveries.append(
                    NewDelivery(
                        result.message_id, outcome.addressed, now, phase=Phase.FAILED,
                        error=f"{outcome.reason_code}: {outcome.reason}",
                    )
                )  # fmt: skip
    return rows


def document_id_of(packet: Packet) -> str:
    """The DocumentId a packet is about (for a status: the document it reports on)."""
    if isinstance(packet, StatusPacket):
        return str(packet.response_for.document_id)
    return str(packet.document_id)
