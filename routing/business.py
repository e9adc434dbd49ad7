"""Who receives a packet, by what it does (BussinessDocType), as a pure function.

- new (0): the recipients in its To list;
- revoke (1): the To list and everyone the revoked document was delivered to;
- update (2): the To list, the document's earlier recipients and the added ones get the update;
  the removed ones get it too, marked as a revoke for them (the packet lists them as removed);
- replace (3): the To list and, for each superseded document, the agencies its ReplacementInfo
  names (or, when it names none, everyone that document was delivered to).

The sender never receives its own packet. The order is stable: To list first, then the rest in
the order they were found, so deliveries and outcomes read the same every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from envelopes.codes import BusinessDocType
from envelopes.document_id import DocumentId
from envelopes.model import DocumentPacket

EarlierRecipients = Callable[[DocumentId], Iterable[str]]
"""The codes a document (by DocumentId) was delivered to, as tracking knows them."""


@dataclass(frozen=True, slots=True)
class Target:
    code: str
    business_type: BusinessDocType


def targets(packet: DocumentPacket, earlier: EarlierRecipients) -> list[Target]:
    """Every recipient of `packet` and what the packet is for that recipient."""
    business = packet.business
    kind = business.doc_type
    found: dict[str, BusinessDocType] = {}

    def add(codes: Iterable[str], as_type: BusinessDocType = kind) -> None:
        for code in codes:
            if code and code != packet.sender_code and code not in found:
                found[code] = as_type

    add(r.organ_id for r in packet.recipients)
    acted_on = business.document_id
    if kind is BusinessDocType.REVOKE and acted_on is not None:
        add(earlier(acted_on))
    elif kind is BusinessDocType.UPDATE:
        removed = set(business.removed_recipients)
        for code in removed:
            found.pop(code, None)
        add(business.added_recipients)
        if acted_on is not None:
            add(code for code in earlier(acted_on) if code not in removed)
        add(removed, BusinessDocType.REVOKE)
    elif kind is BusinessDocType.REPLACE:
        for replacement in business.replacements:
            superseded = replacement.document_id
            add(replacement.organ_ids or (earlier(superseded) if superseded else ()))
    return [Target(code, as_type) for code, as_type in found.items()]
