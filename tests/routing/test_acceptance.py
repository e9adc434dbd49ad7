"""The decision a batch of submissions becomes (`routing.acceptance`), without I/O: duplicates
answered again, half-way submissions finished under their message id, statuses only from a
recipient (or its successor), every code routed, redirected or rejected, one delivery per unit,
and the rows a batch writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from envelopes.codes import BusinessDocType, StatusCode
from envelopes.model import Packet
from envelopes.parsing import parse_packet
from envelopes.records import RecordKind
from routing.acceptance import (
    Accepting,
    Admitted,
    Known,
    Reported,
    Waiting,
    decide,
    rows_of,
)
from routing.lifecycle import Phase
from routing.outcomes import RecipientOutcome, RouteOutcome, SubmissionRefused, SubmissionResult
from routing.signature_policy import Signature
from tests.support.packets import document, status
from tests.support.routing_doubles import TableResolver

NOW = datetime(2025, 7, 2, 8, 0, tzinfo=UTC)
G22, H53, H41, H49, H39, H99 = (
    "000.00.00.G22", "000.00.00.H53", "000.00.00.H41", "000.00.00.H49", "000.00.00.H39",
    "000.00.00.H99",
)  # fmt: skip
NOTHING = Known()
"""What the database says of a packet it never saw."""
RESOLVER = TableResolver(active={G22, H53, H41, H49}, redirects={H39: (H49,)})


def waiting(data: bytes) -> Waiting:
    packet: Packet = parse_packet(data)
    return Waiting(Admitted(packet, data, f"c-{len(data)}", Signature.VERIFIED), "client", NOW)


def ids() -> Iterator[uuid.UUID]:
    n = 0
    while True:
        n += 1
        yield uuid.UUID(int=n)


def one(data: bytes, known: Known = NOTHING) -> Accepting | SubmissionResult | SubmissionRefused:
    made = ids()
    [decision] = decide([waiting(data)], [known], RESOLVER, new_id=lambda: next(made),
                        sha=lambda d: f"sha-{len(d)}")  # fmt: skip
    return decision


def accepted(data: bytes, known: Known = NOTHING) -> Accepting:
    decision = one(data, known)
    assert isinstance(decision, Accepting), decision
    return decision


def test_codes_are_routed_redirected_or_rejected_and_one_unit_gets_one_delivery() -> None:
    decision = accepted(document(G22, [H53, H39, H49, H99], 1))
    outcomes = {o.addressed: o.outcome for o in decision.result.recipients}
    assert outcomes == {
        H53: RouteOutcome.ROUTED, H39: RouteOutcome.REDIRECTED,
        H49: RouteOutcome.ROUTED, H99: RouteOutcome.REJECTED,
    }  # fmt: skip
    # H39 now leads to H49: H49 is delivered once, as the successor of H39 (met first).
    assert decision.plan.deliveries == [
        (H53, BusinessDocType.NEW, None), (H49, BusinessDocType.NEW, H39),
    ]  # fmt: skip
    assert decision.result.message_id == uuid.UUID(int=1)  # a new message id
    assert decision.sha == f"sha-{len(decision.waiting.admitted.data)}"


def test_an_accepted_copy_is_answered_again_and_a_half_way_one_keeps_its_message_id() -> None:
    data = document(G22, [H53], 2)
    first = SubmissionResult(uuid.uuid4(), RecordKind.DOCUMENT, G22, "d", (), duplicate=True)
    assert one(data, Known(first)) is first
    half_way = SubmissionResult(uuid.uuid4(), RecordKind.DOCUMENT, G22, "d", ())
    finished = accepted(data, Known(half_way))
    assert finished.result.message_id == half_way.message_id
    assert not finished.result.duplicate


def test_a_revoke_goes_to_everyone_the_revoked_document_reached() -> None:
    data = document(G22, [H53], 4, business=BusinessDocType.REVOKE, acts_on=3)
    acted = str(parse_packet(document(G22, [H53], 3)).document_id)
    decision = accepted(data, Known(recipients_of={acted: (H53, H41)}))
    assert [d[0] for d in decision.plan.deliveries] == [H53, H41]


def reported(message: uuid.UUID, sender: str, *routed: str) -> Reported:
    return Reported(message, sender, routed)


def test_a_status_from_a_recipient_answers_the_newest_delivery_to_it() -> None:
    older, newer = uuid.uuid4(), uuid.uuid4()
    data = status(H53, G22, 5, StatusCode.ACCEPTED)
    known = Known(reported=[reported(older, G22, H53), reported(newer, G22, H53, H41)])
    decision = accepted(data, known)
    assert decision.plan.answers is not None
    assert decision.plan.answers.message_id == newer
    assert decision.plan.answers.recipient_code == H53
    assert decision.plan.deliveries == [(G22, None, None)]  # to the document's sender


def test_a_status_from_the_successor_of_a_recipient_answers_for_it() -> None:
    message = uuid.uuid4()
    data = status(H49, G22, 6, StatusCode.ACCEPTED)  # H39 was merged into H49
    decision = accepted(data, Known(reported=[reported(message, G22, H39)]))
    assert decision.plan.answers is not None
    assert (decision.plan.answers.message_id, decision.plan.answers.recipient_code) == (
        message, H39,
    )  # fmt: skip


def test_a_status_from_an_agency_the_document_never_reached_is_refused() -> None:
    data = status(H41, G22, 7, StatusCode.ACCEPTED)
    refused = one(data, Known(reported=[reported(uuid.uuid4(), G22, H53)]))
    assert isinstance(refused, SubmissionRefused)
    assert refused.code == "STATUS_NOT_A_RECIPIENT" and refused.forbidden


@pytest.mark.parametrize(
    "documents", [[], [Reported(uuid.uuid4(), H53, (G22,))]], ids=["never carried", "its own"]
)
def test_a_status_on_a_document_never_carried_or_its_own_moves_no_delivery(
    documents: list[Reported],
) -> None:
    data = status(H53, G22, 8, StatusCode.ACCEPTED)
    decision = accepted(data, Known(reported=documents))
    assert decision.plan.answers is None
    assert [d[0] for d in decision.plan.deliveries] == [G22]


def test_one_refusal_leaves_the_rest_of_the_batch_accepted_in_order() -> None:
    batch = [
        waiting(document(G22, [H53], 9)),
        waiting(status(H41, G22, 7, StatusCode.ACCEPTED)),
        waiting(document(G22, [H41], 10)),
    ]
    known = [Known(), Known(reported=[reported(uuid.uuid4(), G22, H53)]), Known()]
    decisions = decide(batch, known, RESOLVER, sha=lambda d: "s")
    assert [type(d).__name__ for d in decisions] == [
        "Accepting", "SubmissionRefused", "Accepting",
    ]  # fmt: skip
    assert [d.index for d in decisions if isinstance(d, Accepting)] == [0, 2]


def test_the_rows_of_a_batch_record_rejected_recipients_as_failed_deliveries() -> None:
    decision = accepted(document(G22, [H53, H99], 11))
    rows = rows_of([decision])
    [submission] = rows.submissions
    assert submission["state"] == "accepting"
    assert submission["message_id"] == str(decision.result.message_id)
    [message] = rows.messages
    assert message.kind is RecordKind.DOCUMENT and message.subject
    by_code = {d.recipient_code: d for d in rows.deliveries}
    assert set(by_code) == {H53, H99}
    assert by_code[H99].phase is Phase.FAILED
    assert by_code[H99].error is not None and by_code[H99].error.startswith("REGISTRY_UNKNOWN")
    assert by_code[H53].phase is not Phase.FAILED
    assert RecipientOutcome.from_dict(decision.result.recipients[1].as_dict()).outcome is (
        RouteOutcome.REJECTED
    )
