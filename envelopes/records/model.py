"""The records that travel on Kafka, as typed dataclasses mirroring the shipped Avro schemas."""

from __future__ import annotations

import hashlib
from dataclasses import Field, dataclass
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar
from uuid import UUID

from envelopes.codes import BusinessDocType, Priority, StatusCode

NAMESPACE = "vn.axis.records"


class AvroRecord:
    """Base of every dataclass that maps to a named Avro record.

    `AVRO_NAME` is the full name the codec uses to find the schema and, inside unions, to
    tell which branch a value belongs to. Field names and order follow the schema file.
    """

    __slots__ = ()

    AVRO_NAME: ClassVar[str]
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]


class RecordKind(str, Enum):
    """What a delivery carries. UNKNOWN is what a reader sees for a kind newer than itself."""

    UNKNOWN = "unknown"
    DOCUMENT = "document"
    STATUS = "status"


class TrackingEventType(str, Enum):
    """What happened to a delivery. UNKNOWN is what a reader sees for a type newer than itself,
    so that nodes of different releases can share the tracking topic during an upgrade."""

    UNKNOWN = "unknown"
    ACCEPTED = "accepted"
    ROUTED = "routed"
    REDIRECTED = "redirected"
    REJECTED = "rejected"
    QUEUED = "queued"
    DELIVERED = "delivered"
    FETCHED = "fetched"
    ACKNOWLEDGED = "acknowledged"
    STATUS = "status"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    DEAD_LETTERED = "dead_lettered"
    REPLAYED = "replayed"
    HELD_BACK = "held_back"
    """No call was made: the endpoint's circuit breaker held it back (not an attempt)."""
    REROUTED = "rerouted"
    """The recipient's code closed while the delivery was on its way; the delivery continues
    to the successor the registry names (schema version 3)."""


def sha256(data: bytes) -> bytes:
    """The digest every record carries next to a packet or payload (32 raw bytes)."""
    return hashlib.sha256(data).digest()


@dataclass(frozen=True, slots=True)
class InlinePacket(AvroRecord):
    """A packet small enough to travel inside the record itself."""

    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.InlinePacket"

    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True, slots=True)
class PacketReference(AvroRecord):
    """A packet stored once outside Kafka and pointed to, so that packets of tens of MB never
    exceed the broker's message size and are not copied once per recipient and retry."""

    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.PacketReference"

    uri: str
    size: int


Packet = InlinePacket | PacketReference
"""The packet bytes of a record: inline or by reference; `packet_sha256` covers both."""


@dataclass(frozen=True, slots=True)
class Hop(AvroRecord):
    """One axis node a packet passed through; the list lets two-level routing spot loops."""

    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.Hop"

    organ_id: str
    at: datetime
    node_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryRecord(AvroRecord):
    """One packet on its way to one recipient (the deliveries topic is keyed by recipient)."""

    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.DeliveryRecord"

    message_id: UUID
    kind: RecordKind
    sender_code: str
    recipient_code: str
    document_id: str
    packet: Packet
    packet_sha256: bytes
    submitted_at: datetime
    attempt: int = 1
    hops: tuple[Hop, ...] = ()
    redirected_from: str | None = None
    business_type: BusinessDocType | None = None
    priority: Priority | None = None


@dataclass(frozen=True, slots=True)
class StatusRecord(AvroRecord):
    """A status packet on its way back to the sender of the document it answers."""

    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.StatusRecord"

    message_id: UUID
    original_document_id: str
    from_code: str
    to_code: str
    status_code: StatusCode
    at: datetime
    packet: Packet
    packet_sha256: bytes
    original_message_id: UUID | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class TrackingEvent(AvroRecord):
    """One thing that happened to one delivery (message, recipient)."""

    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.TrackingEvent"

    message_id: UUID
    recipient_code: str
    event: TrackingEventType
    at: datetime
    attempt: int
    node_id: str
    status_code: StatusCode | None = None
    detail: str | None = None
    fact: str | None = None
    """What makes this event one fact beside its message, recipient and kind (the status packet
    a status event comes from); None when its kind and attempt say it (see routing.tracking)."""
    addressed_to: str | None = None
    """On the event that opens a delivery re-routed in flight: the code the sender addressed."""


@dataclass(frozen=True, slots=True)
class RegistryChange(AvroRecord):
    """One published version of the organization-code registry.

    The change set stays an opaque JSON string here: `orgcodes` owns its meaning, and the
    digest lets every node check it received exactly what was published.
    """

    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.RegistryChange"

    version: int
    effective_at: datetime
    published_at: datetime
    publisher: str
    reason: str
    payload_json: str
    payload_sha256: bytes

    def payload_intact(self) -> bool:
        """True if `payload_json` is the payload the publisher hashed."""
        return sha256(self.payload_json.encode("utf-8")) == self.payload_sha256


@dataclass(frozen=True, slots=True)
class RegistryHeartbeat(AvroRecord):
    """The registry authority is alive and at `version` (see `orgcodes.heartbeat`)."""

    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.RegistryHeartbeat"

    version: int
    at: datetime
    publisher: str
    signature_json: str | None = None


TOP_LEVEL_RECORDS: tuple[type[AvroRecord], ...] = (
    DeliveryRecord,
    StatusRecord,
    TrackingEvent,
    RegistryChange,
    RegistryHeartbeat,
)
"""The records that have a schema file of their own and can be encoded on their own."""
