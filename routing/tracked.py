"""What tracking records of a message when it is accepted, and of each delivery it creates, as
plain values: built by the pure acceptance decision (`routing.acceptance`), written and read
back by the tracking store (`routing.tracking`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from envelopes.codes import StatusCode
from envelopes.records import RecordKind
from routing.lifecycle import Phase


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """What the submission service knows of a message when it accepts it."""

    message_id: UUID
    kind: RecordKind
    sender_code: str
    document_id: str
    packet_sha256: str
    submitted_at: datetime
    business_type: str | None = None
    answers_message_id: UUID | None = None
    """For a status packet: the message (document) it answers."""
    status_code: StatusCode | None = None
    subject: str | None = None
    """A document's subject (TrichYeu), for clerks' searches."""
    notation: str | None = None
    """A document's number and notation (`7816/VPCP-TTDT`)."""


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery the submission service creates: routed (redirected from `addressed_to`), or
    refused at once (`phase` failed, with `error`)."""

    message_id: UUID
    recipient_code: str
    at: datetime
    addressed_to: str | None = None
    phase: Phase = Phase.QUEUED
    error: str | None = None
