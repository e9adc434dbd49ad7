"""The status packets the axis writes itself: a 02 (rejected) back to a sender whose document
could not be delivered to one recipient, with the reason.

The notice is an ordinary edXML status packet, From the recipient that did not get the
document, so the sender's document management system handles it like any other 02. Its
message id is derived from the failed delivery's (message id, recipient), so a worker that
handles the same failure twice (Kafka re-delivery) produces the same notice, which the sender's
inbox then holds once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

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


def rejection_packet(rejection: Rejection) -> bytes:
    """The edXML bytes of the 02 status packet for `rejection`."""
    packet = StatusPacket(
        sender=Organization(organ_id=rejection.recipient_code),
        response_for=ResponseFor(
            organ_id=rejection.sender_code,
            document_id=DocumentId.parse(rejection.document_id),
        ),
        status_code=StatusCode.REJECTED,
        timestamp=rejection.at,
        description=(
            f"The axis could not deliver this document to {rejection.recipient_code}: "
            f"{rejection.reason}"
        ),
        staff=StaffInfo(department=f"Axis node {rejection.node_id}", staff="axis"),
    )
    return to_bytes(packet)
