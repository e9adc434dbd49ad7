"""The answers of the operators' API: dead letters, destinations, clients, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from axis.wire.base import WireModel


class DeadLetterModel(WireModel):
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


class ReplayedModel(WireModel):
    dead_letter_id: int
    message_id: str
    recipient: str


class PauseModel(WireModel):
    code: str
    paused_by: str
    paused_at: datetime
    reason: str


class Changed(WireModel):
    code: str
    changed: bool = Field(description="False when it was already so.")


class ClientModel(WireModel):
    client_id: str
    name: str
    codes: list[str]
    roles: list[str]
    hmac: bool
    created_at: datetime
    rotated_at: datetime | None
    disabled_at: datetime | None
    certificate_sha256: str | None = Field(
        default=None, description="The TLS client certificate its requests must present."
    )
    strict_parameters: bool = Field(
        default=False, description="SDK operations refuse signed parameters they do not use."
    )
    weak_secret: bool = Field(
        default=False,
        description="Its secret was imported under the weak-secret override: SDK requests only.",
    )
    signature_policy: Literal["require", "node-signs", "accept-authenticated"] = Field(
        default="require",
        description="What its packets must carry as a signature: their own verified XML-DSig "
        "(require), a signature the node makes for them (node-signs), or none "
        "(accept-authenticated: routed on the client's credentials, marked as such).",
    )


class IssuedModel(WireModel):
    client: ClientModel
    secret: str = Field(
        description="Shown this once; the node keeps its hash (and, for an hmac client, the "
        "secret sealed under its secret key, to check the SDK's HMAC)."
    )


class AuditModel(WireModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    request_id: str | None
