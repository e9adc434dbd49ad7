"""Who receives a packet, by what it does: new, revoke, update, replace (pure)."""

from __future__ import annotations

from envelopes.codes import BusinessDocType
from envelopes.document_id import DocumentId
from envelopes.model import DocumentPacket
from envelopes.parsing import parse_packet
from routing.business import Target, targets
from tests.support.packets import document

G22, H53, H41, H49, H39 = (
    "000.00.00.G22", "000.00.00.H53", "000.00.00.H41", "000.00.00.H49", "000.00.00.H39",
)  # fmt: skip
EARLIER = {f"{G22},2025/07/02,1/CV-TEST": (H53, H41)}


def _earlier(document_id: DocumentId) -> tuple[str, ...]:
    return EARLIER.get(str(document_id), ())


def _packet(data: bytes) -> DocumentPacket:
    packet = parse_packet(data)
    assert isinstance(packet, DocumentPacket)
    return packet


def test_a_new_document_goes_to_its_to_list_but_never_back_to_its_sender() -> None:
    packet = _packet(document(G22, [H53, G22, H41, H53], 2))
    assert targets(packet, _earlier) == [
        Target(H53, BusinessDocType.NEW), Target(H41, BusinessDocType.NEW),
    ]  # fmt: skip


def test_a_revoke_reaches_everyone_the_document_went_to() -> None:
    packet = _packet(document(G22, [H49], 3, business=BusinessDocType.REVOKE, acts_on=1))
    assert [t.code for t in targets(packet, _earlier)] == [H49, H53, H41]
    assert {t.business_type for t in targets(packet, _earlier)} == {BusinessDocType.REVOKE}


def test_an_update_adds_recipients_and_revokes_for_the_removed_ones() -> None:
    packet = _packet(
        document(G22, [H53, H41], 4, business=BusinessDocType.UPDATE, acts_on=1,
                 added=[H39], removed=[H41])
    )  # fmt: skip
    assert targets(packet, _earlier) == [
        Target(H53, BusinessDocType.UPDATE),
        Target(H39, BusinessDocType.UPDATE),
        Target(H41, BusinessDocType.REVOKE),
    ]


def test_an_unknown_earlier_document_leaves_the_to_list() -> None:
    packet = _packet(document(G22, [H49], 5, business=BusinessDocType.REVOKE, acts_on=99))
    assert targets(packet, _earlier) == [Target(H49, BusinessDocType.REVOKE)]
