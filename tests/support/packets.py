"""edXML packets built in code for routing tests (written with the project's own writer)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from envelopes.codes import BusinessDocType, ReceiverType, StatusCode
from envelopes.document_id import DocumentId
from envelopes.model import (
    Business,
    Code,
    DocumentChanges,
    DocumentPacket,
    DocumentType,
    Organization,
    PromulgationInfo,
    Receiver,
    ResponseFor,
    StatusPacket,
)
from envelopes.writing import to_bytes

DAY = date(2025, 7, 2)


def document_id(sender: str, number: int) -> DocumentId:
    return DocumentId.parse(f"{sender},{DAY:%Y/%m/%d},{number}/CV-TEST")


def document(
    sender: str,
    to: Sequence[str],
    number: int,
    *,
    business: BusinessDocType = BusinessDocType.NEW,
    acts_on: int | None = None,
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
    subject: str = "Báo cáo tình hình gửi nhận văn bản",
) -> bytes:
    """A document packet; revoke/update name the document `acts_on` (a number of `sender`)."""
    changes = None
    if business is BusinessDocType.UPDATE:
        changes = DocumentChanges(
            receivers_changed=bool(added or removed),
            receivers=tuple(Receiver(c, ReceiverType.ADDED) for c in added)
            + tuple(Receiver(c, ReceiverType.REMOVED) for c in removed),
        )
    packet = DocumentPacket(
        sender=Organization(organ_id=sender, organ_name=f"Đơn vị {sender}"),
        recipients=tuple(Organization(organ_id=code) for code in to),
        document_id=document_id(sender, number),
        code=Code(str(number), "CV-TEST"),
        promulgation=PromulgationInfo(DAY, "Hà Nội"),
        document_type=DocumentType("1", "0", "Công văn"),
        subject=subject,
        business=Business(
            doc_type=business,
            reason="Điều chỉnh" if business is not BusinessDocType.NEW else "",
            document_id=document_id(sender, acts_on) if acts_on is not None else None,
            changes=changes,
        ),
    )
    return to_bytes(packet)


def status(
    sender: str, original_sender: str, number: int, code: StatusCode, description: str = ""
) -> bytes:
    """A status packet from `sender` about document `number` of `original_sender`."""
    packet = StatusPacket(
        sender=Organization(organ_id=sender),
        response_for=ResponseFor(
            organ_id=original_sender, document_id=document_id(original_sender, number)
        ),
        status_code=code,
        timestamp=datetime.now(UTC),
        description=description,
    )
    return to_bytes(packet)
