"""The status packets the axis writes itself: a 02 (rejected) back to a sender whose document
could not be delivered to one recipient, with the reason.

The notice is an ordinary edXML status packet, From the recipient that did not get the
document, so the sender's document management system handles it like any other 02. Its
Description is in Vietnamese, with the machine code; it is signed with the node's own key when
the node has one (`AXIS_NOTICE_KEY_FILE`), whose certificate the trust store authorizes as the
axis's notice signer. Its
message id is derived from the failed delivery's (message id, recipient), so a worker that
handles the same failure twice (Kafka re-delivery) produces the same notice, which the sender's
inbox then holds once.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from envelopes.codes import StatusCode
from envelopes.document_id import DocumentId
from envelopes.model import Organization, ResponseFor, StaffInfo, StatusPacket
from envelopes.writing import to_bytes

_NOTICE_NAMESPACE = uuid.UUID("6f1c1a52-6c7e-4d5e-9a55-2b7f0b8e0a02")


def notice_id(message_id: uuid.UUID, recipient_code: str) -> uuid.UUID:
    """The message id of the 02 notice for one failed delivery (stable across retries)."""
    return uuid.uuid5(_NOTICE_NAMESPACE, f"{message_id}/{recipient_code}")


@dataclass(frozen=True, slots=True)
class Rejection:
    """A delivery the axis gave up on, to be reported to the sender."""

    message_id: uuid.UUID
    sender_code: str
    recipient_code: str
    document_id: str
    reason: str
    at: datetime
    node_id: str


class NoticeSigner(Protocol):
    """Signs the notices the axis writes, with the node's own key (its certificate is in the
    trust store as the axis's notice signer)."""

    def sign(self, data: bytes) -> bytes: ...


def rejection_packet(rejection: Rejection, signer: NoticeSigner | None = None) -> bytes:
    """The edXML bytes of the 02 status packet for `rejection`, signed by `signer` when the
    node has a notice key (unsigned otherwise, as before one is configured)."""
    packet = StatusPacket(
        sender=Organization(organ_id=rejection.recipient_code),
        response_for=ResponseFor(
            organ_id=rejection.sender_code,
            document_id=DocumentId.parse(rejection.document_id),
        ),
        status_code=StatusCode.REJECTED,
        timestamp=rejection.at,
        description=describe(rejection),
        staff=StaffInfo(department=f"Trục liên thông, nút {rejection.node_id}", staff="axis"),
    )
    data = to_bytes(packet)
    return signer.sign(data) if signer is not None else data


def describe(rejection: Rejection) -> str:
    """The notice's Description: a sentence in Vietnamese (what a clerk reads), the machine
    code (what a DMS matches on), and the node's own detail."""
    code = machine_code(rejection.reason)
    why = _WHY.get(code) or (
        _WHY["DELIVERY_FAILED"] if code.startswith("PUSH_") else "trục đã dừng chuyển văn bản này"
    )
    return (
        f"Trục liên thông không chuyển được văn bản đến {rejection.recipient_code}: {why}. "
        f"Mã lỗi: {code}. Chi tiết: {rejection.reason}"
    )


def machine_code(reason: str) -> str:
    """The machine code a reason starts with (`REGISTRY_UNKNOWN_CODE: ...`), or the code of a
    delivery given up after its retries."""
    if reason.startswith("gave up after"):
        return "DELIVERY_RETRIES_EXHAUSTED"
    found = _CODE.match(reason)
    return found.group(0) if found else "DELIVERY_FAILED"


_CODE = re.compile(r"[A-Z][A-Z0-9_]{3,}(?=:)")
_WHY = {
    "REGISTRY_UNKNOWN_CODE": "mã định danh của đơn vị nhận không có trong danh mục",
    "REGISTRY_CODE_CLOSED": "đơn vị nhận đã dừng hoạt động và không có đơn vị kế thừa",
    "REGISTRY_CODE_AMBIGUOUS": (
        "đơn vị nhận đã được chia tách, không xác định được đơn vị nhận thay; "
        "hãy gửi lại cho đơn vị kế thừa phù hợp"
    ),
    "RECIPIENT_CANNOT_RECEIVE": "đơn vị nhận không còn nhận văn bản qua trục",
    "DELIVERY_RETRIES_EXHAUSTED": (
        "hệ thống của đơn vị nhận không phản hồi sau nhiều lần gửi lại trong thời hạn cho phép"
    ),
    "DELIVERY_FAILED": "hệ thống của đơn vị nhận từ chối văn bản",
}
"""Why, in a sentence a clerk reads, by machine code (others: a general sentence)."""
