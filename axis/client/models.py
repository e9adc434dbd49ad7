"""The answers of the node's `/v1` API as frozen pydantic models, mirroring the node's response
models field for field (declared here rather than imported from `axis.http`, which would pull the
whole node, FastAPI and Kafka into a DMS)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "AckAnswer",
    "AckResult",
    "AppliedChangeSet",
    "AuditEntry",
    "ClientInfo",
    "DeadLetter",
    "DestinationChange",
    "Finding",
    "InboxItem",
    "InboxPage",
    "IssuedClient",
    "Kind",
    "PausedDestination",
    "RecipientOutcome",
    "RecipientState",
    "RegistryVersion",
    "ReplayedLetter",
    "Resolution",
    "SendResult",
    "SentMessage",
    "TimelineStep",
    "TrackedRecipient",
    "TrackingReport",
    "Unit",
    "UnitDetail",
    "UnitPage",
]

AckAnswer = Literal["processing", "done", "fail"]
Kind = Literal["edoc", "status"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- documents ------------------------------------------------------------------------------


class RecipientOutcome(_Model):
    addressed: str
    """The code the sender wrote."""
    outcome: Literal["routed", "redirected", "rejected"]
    target: str | None
    """The unit that receives it (after redirects)."""
    chain: list[str]
    reason_code: str | None
    reason: str | None


class Finding(_Model):
    code: str
    severity: str
    """Always `finding` in an answer: accepted and reported (errors refuse the packet)."""
    location: str
    message: str


class SendResult(_Model):
    message_id: str
    kind: str
    sender: str
    document_id: str
    duplicate: bool
    """The same packet was accepted before; this is that answer."""
    recipients: list[RecipientOutcome]
    findings: list[Finding] = []
    """What the node accepted but reports: fix these in the next packets."""
    signature: str = "verified"
    """`verified`, `node-signed` or `client-authenticated` (unsigned, on the client's
    credentials)."""

    @property
    def rejected(self) -> list[RecipientOutcome]:
        """The recipients the node refused to route to (the sender gets a status 02 too)."""
        return [r for r in self.recipients if r.outcome == "rejected"]


class InboxItem(_Model):
    id: int
    """The cursor: pass the last one handled as `since`."""
    message_id: str
    kind: Kind
    recipient: str
    sender: str
    document_id: str
    addressed_to: str | None
    size: int
    received_at: datetime
    fetched_at: datetime | None
    ack: AckAnswer | None
    ack_at: datetime | None


class InboxPage(_Model):
    items: list[InboxItem]
    next_since: int


class AckResult(_Model):
    item: InboxItem
    changed: bool
    """False when the same answer was recorded before."""


class RecipientState(_Model):
    recipient: str
    addressed_to: str | None
    phase: str
    status: str | None
    attempts: int
    updated_at: datetime
    last_error: str | None


class SentMessage(_Model):
    message_id: str
    kind: str
    sender: str
    document_id: str
    subject: str | None
    submitted_at: datetime
    recipients: list[RecipientState]


class TimelineStep(_Model):
    at: datetime
    event: str
    status: str | None
    effect: str
    detail: str | None
    node: str


class TrackedRecipient(RecipientState):
    timeline: list[TimelineStep]


class TrackingReport(_Model):
    message_id: str
    kind: str
    sender: str
    document_id: str
    submitted_at: datetime
    recipients: list[TrackedRecipient]


# --- registry -------------------------------------------------------------------------------


class Unit(_Model):
    code: str
    name: str
    parent: str | None
    level: int
    status: Literal["active", "closed"]
    since: datetime
    until: datetime | None
    version: int
    alt_code: str | None
    successors: list[str]
    old_codes: list[str]
    delivery_mode: str
    endpoint: str | None
    email: str | None
    phone: str | None


class UnitPage(_Model):
    total: int
    offset: int
    units: list[Unit]


class Resolution(_Model):
    input: str
    outcome: str
    target: str | None
    chain: list[str]
    candidates: list[str]
    version: int


class UnitDetail(_Model):
    unit: Unit | None
    """The unit's state at the time asked (None before it existed)."""
    history: list[Unit]
    resolve: Resolution
    """Where a packet addressed to the code goes."""


class RegistryVersion(_Model):
    version: int
    effective: datetime
    applied_at: datetime
    applied_by: str
    source: str
    reason: str
    payload_sha256: str
    change_set: dict[str, Any]


class AppliedChangeSet(_Model):
    version: int
    effective: datetime
    warnings: list[str]


# --- operators ------------------------------------------------------------------------------


class DeadLetter(_Model):
    id: int
    message_id: str
    kind: str
    sender: str
    recipient: str
    document_id: str
    origin: str | None
    failures: int
    first_failed_at: datetime | None
    first_error: str | None
    last_error: str | None
    error_class: str | None
    reason: str | None
    dead_at: datetime
    replayed_at: datetime | None
    replayed_by: str | None
    record: dict[str, Any] | None = None
    """The delivery record, when one dead letter is inspected."""


class ReplayedLetter(_Model):
    dead_letter_id: int
    message_id: str
    recipient: str


class PausedDestination(_Model):
    code: str
    paused_by: str
    paused_at: datetime
    reason: str


class DestinationChange(_Model):
    code: str
    changed: bool
    """False when it was already so."""


class ClientInfo(_Model):
    client_id: str
    name: str
    codes: list[str]
    roles: list[str]
    hmac: bool
    created_at: datetime
    rotated_at: datetime | None
    disabled_at: datetime | None
    certificate_sha256: str | None = None
    strict_parameters: bool = False
    weak_secret: bool = False
    signature_policy: str = "require"
    """`require`, `node-signs` or `accept-authenticated` (see the node's README)."""


class IssuedClient(_Model):
    client: ClientInfo
    secret: str
    """Shown this once: the node keeps its hash (and an HMAC client's secret sealed)."""


class AuditEntry(_Model):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    request_id: str | None
