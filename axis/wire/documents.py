"""The answers of the documents API (`/v1/packets`, `/v1/inbox`, `/v1/sent`, `/v1/tracking`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from axis.wire.base import WireModel


class RecipientOutcomeModel(WireModel):
    addressed: str = Field(description="The code the sender wrote.")
    outcome: Literal["routed", "redirected", "rejected"]
    target: str | None = Field(description="The unit that receives it (after redirects).")
    chain: list[str]
    reason_code: str | None
    reason: str | None


class FindingModel(WireModel):
    code: str
    severity: Literal["finding"] = Field(
        description="Always 'finding' here: accepted and reported (errors refuse the packet)."
    )
    location: str = Field(description="Line and element path in the packet.")
    message: str


class SubmitReply(WireModel):
    message_id: str
    kind: str
    sender: str
    document_id: str
    duplicate: bool = Field(description="The same packet was accepted before; this is that answer.")
    recipients: list[RecipientOutcomeModel]
    signature: Literal["verified", "node-signed", "client-authenticated"] = Field(
        default="verified",
        description="How the packet's origin is vouched for: its own verified signature, a "
        "signature the node made for the client (node-signs), or none: unsigned, "
        "client-authenticated.",
    )
    findings: list[FindingModel] = Field(
        default_factory=list,
        description="What the node accepted but reports (the acceptance policy in the README): "
        "the sender should fix these in its next packets.",
    )

    @property
    def rejected(self) -> list[RecipientOutcomeModel]:
        """The recipients the node refused to route to (the sender gets a status 02 too)."""
        return [r for r in self.recipients if r.outcome == "rejected"]


class InboxEntry(WireModel):
    id: int = Field(description="Cursor: pass the last one seen as `since` for the next page.")
    message_id: str
    kind: Literal["edoc", "status"]
    recipient: str
    sender: str
    document_id: str
    addressed_to: str | None
    size: int
    received_at: datetime
    fetched_at: datetime | None
    ack: Literal["processing", "done", "fail"] | None
    ack_at: datetime | None


class InboxPage(WireModel):
    items: list[InboxEntry]
    next_since: int = Field(description="The cursor for the next page (unchanged when empty).")


class AckReply(WireModel):
    item: InboxEntry
    changed: bool = Field(description="False when the same answer was recorded before.")


class RecipientState(WireModel):
    recipient: str
    addressed_to: str | None
    phase: str
    status: str | None
    attempts: int
    updated_at: datetime
    last_error: str | None


class SentEntry(WireModel):
    message_id: str
    kind: str
    sender: str
    document_id: str
    subject: str | None
    submitted_at: datetime
    recipients: list[RecipientState]


class TimelineStep(WireModel):
    at: datetime
    event: str
    status: str | None
    effect: str
    detail: str | None
    node: str


class TrackedRecipient(RecipientState):
    timeline: list[TimelineStep]


class TrackingReport(WireModel):
    message_id: str
    kind: str
    sender: str
    document_id: str
    submitted_at: datetime
    recipients: list[TrackedRecipient]
