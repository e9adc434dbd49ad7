"""The Avro records that travel on Kafka: their dataclasses, schemas and codec."""

from envelopes.records.codec import RecordCodec
from envelopes.records.model import (
    AvroRecord,
    DeliveryRecord,
    Hop,
    InlinePacket,
    Packet,
    PacketReference,
    RecordKind,
    RegistryChange,
    RegistryHeartbeat,
    StatusRecord,
    TrackingEvent,
    TrackingEventType,
    sha256,
)
from envelopes.records.problems import RecordProblemCode
from envelopes.records.registry import KnownSchema, SchemaRegistry

__all__ = [
    "AvroRecord",
    "DeliveryRecord",
    "Hop",
    "InlinePacket",
    "KnownSchema",
    "Packet",
    "PacketReference",
    "RecordCodec",
    "RecordKind",
    "RecordProblemCode",
    "RegistryChange",
    "RegistryHeartbeat",
    "SchemaRegistry",
    "StatusRecord",
    "TrackingEvent",
    "TrackingEventType",
    "sha256",
]
