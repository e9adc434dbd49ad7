"""Tests of the bus-record codec: round trips, the single-object header, and refused bytes."""

from __future__ import annotations

import dataclasses
import io
import json
import uuid
from datetime import datetime
from importlib import resources
from typing import Any

import pytest
from fastavro import schemaless_writer
from fastavro.schema import to_parsing_canonical_form
from hypothesis import given

from envelopes.errors import EnvelopeError
from envelopes.records import (
    AvroRecord,
    DeliveryRecord,
    InlinePacket,
    PacketReference,
    RecordCodec,
    RecordProblemCode,
    RegistryChange,
    SchemaRegistry,
    StatusRecord,
    TrackingEvent,
    sha256,
)
from envelopes.records.codec import HEADER_SIZE, MARKER
from envelopes.records.model import TOP_LEVEL_RECORDS
from tests.envelopes.records_strategies import (
    deliveries,
    registry_changes,
    sample_delivery,
    statuses,
    tracking_events,
)

CODEC = RecordCodec()


def _round_trip(record: AvroRecord) -> None:
    assert CODEC.decode(CODEC.encode(record), type(record)) == record


@given(deliveries)
def test_delivery_record_round_trips(record: DeliveryRecord) -> None:
    _round_trip(record)


@given(statuses)
def test_status_record_round_trips(record: StatusRecord) -> None:
    _round_trip(record)


@given(tracking_events)
def test_tracking_event_round_trips(record: TrackingEvent) -> None:
    _round_trip(record)


@given(registry_changes)
def test_registry_change_round_trips(record: RegistryChange) -> None:
    _round_trip(record)


# --- the header: Avro single-object encoding ----------------------------------------------------

_EMPTY = 0xC15D213AA4D7A795


def _rabin(data: bytes) -> int:
    """CRC-64-AVRO exactly as the Avro specification writes it, independent of fastavro."""
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (_EMPTY & -(fp & 1))
        table.append(fp)
    fp = _EMPTY
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


@pytest.mark.parametrize("record_type", TOP_LEVEL_RECORDS)
def test_fingerprint_is_the_little_endian_rabin_of_the_canonical_form(
    record_type: type[AvroRecord],
) -> None:
    schema = CODEC.schema_for(record_type)
    canonical = to_parsing_canonical_form(schema.parsed).encode()
    assert schema.fingerprint == _rabin(canonical).to_bytes(8, "little")


def test_encoded_record_starts_with_marker_and_fingerprint() -> None:
    encoded = CODEC.encode(sample_delivery())
    assert encoded[:HEADER_SIZE] == MARKER + CODEC.schema_for(DeliveryRecord).fingerprint
    assert CODEC.writer_schema(encoded) is CODEC.schema_for(DeliveryRecord)


def test_reference_keeps_a_record_for_a_large_packet_small() -> None:
    size = 50 * 1024 * 1024
    record = sample_delivery(PacketReference("blob://packets/5f0c6a52", size))
    encoded = CODEC.encode(record)
    assert len(encoded) < 1024
    decoded = CODEC.decode(encoded, DeliveryRecord)
    assert decoded.packet == PacketReference("blob://packets/5f0c6a52", size)


def test_inline_packet_travels_whole() -> None:
    data = bytes(range(256)) * 400
    record = dataclasses.replace(sample_delivery(InlinePacket(data)), packet_sha256=sha256(data))
    decoded = CODEC.decode(CODEC.encode(record), DeliveryRecord)
    assert decoded.packet == InlinePacket(data)
    assert decoded.packet.size == len(data)


# --- the shipped schemas and the dataclasses agree ----------------------------------------------


@pytest.mark.parametrize("record_type", TOP_LEVEL_RECORDS)
def test_dataclass_fields_follow_the_latest_schema(record_type: type[AvroRecord]) -> None:
    schema = CODEC.schema_for(record_type)
    assert isinstance(schema.parsed, dict)
    assert [f["name"] for f in schema.parsed["fields"]] == [
        f.name for f in dataclasses.fields(record_type)
    ]


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every JSON object in a schema, so rules can be checked on all of them."""
    if isinstance(node, list):
        return [found for item in node for found in _walk(item)]
    if isinstance(node, dict):
        return [node, *(found for value in node.values() for found in _walk(value))]
    return []


def _shipped_files() -> list[str]:
    folder = resources.files("envelopes.records.schemas")
    return sorted(e.name for e in folder.iterdir() if e.name.endswith(".avsc"))


@pytest.mark.parametrize("file_name", _shipped_files())
def test_schema_file_follows_the_evolution_rules(file_name: str) -> None:
    text = resources.files("envelopes.records.schemas").joinpath(file_name).read_text("utf-8")
    nodes = _walk(json.loads(text))
    for node in nodes:
        if node.get("type") == "enum":
            assert node.get("default") in node["symbols"], f"enum {node['name']} has no default"
        if "fields" in node:
            for field in node["fields"]:
                if isinstance(field["type"], list) and "null" in field["type"]:
                    assert field["type"][0] == "null", field["name"]
                    assert "default" in field, field["name"]
                    assert field["default"] is None, field["name"]


def test_every_top_level_record_has_a_shipped_schema() -> None:
    registry = SchemaRegistry.shipped()
    for record_type in TOP_LEVEL_RECORDS:
        assert registry.get(record_type.AVRO_NAME).version >= 1


# --- refused bytes --------------------------------------------------------------------------------


def _code_of(data: bytes, record_type: type[AvroRecord] = DeliveryRecord) -> str:
    with pytest.raises(EnvelopeError) as caught:
        CODEC.decode(data, record_type)
    return caught.value.code


def test_too_short_for_a_header_is_malformed() -> None:
    assert _code_of(MARKER + b"\x00\x01") == RecordProblemCode.MALFORMED


def test_wrong_marker_is_malformed() -> None:
    data = CODEC.encode(sample_delivery())
    with pytest.raises(EnvelopeError) as caught:
        CODEC.decode(b"\x4f\x62" + data[2:], DeliveryRecord)
    assert caught.value.code == RecordProblemCode.MALFORMED
    assert "4F 62" in caught.value.message


def test_unknown_fingerprint_is_an_unknown_schema() -> None:
    data = CODEC.encode(sample_delivery())
    forged = MARKER + bytes(8) + data[HEADER_SIZE:]
    assert _code_of(forged) == RecordProblemCode.UNKNOWN_SCHEMA


def test_every_truncation_is_malformed() -> None:
    data = CODEC.encode(sample_delivery())
    for end in range(len(data)):
        assert _code_of(data[:end]) == RecordProblemCode.MALFORMED, end


def test_trailing_bytes_are_malformed() -> None:
    data = CODEC.encode(sample_delivery())
    assert _code_of(data + b"\x00") == RecordProblemCode.MALFORMED


def test_record_of_another_type_is_refused() -> None:
    data = CODEC.encode(sample_delivery())
    assert _code_of(data, StatusRecord) == RecordProblemCode.WRONG_TYPE


def test_unknown_status_code_in_a_record_is_invalid() -> None:
    schema = CODEC.schema_for(TrackingEvent)
    out = io.BytesIO(MARKER + schema.fingerprint)
    out.seek(0, io.SEEK_END)
    datum = {
        "message_id": uuid.uuid4(),
        "recipient_code": "000.00.00.H01",
        "event": "status",
        "at": datetime(2024, 1, 1).astimezone(),
        "attempt": 1,
        "node_id": "node-1",
        "status_code": "99",
        "detail": None,
    }
    schemaless_writer(out, schema.parsed, datum)
    with pytest.raises(EnvelopeError) as caught:
        CODEC.decode(out.getvalue(), TrackingEvent)
    assert caught.value.code == RecordProblemCode.INVALID
    assert caught.value.location.path == "TrackingEvent.status_code"


# --- refused records ------------------------------------------------------------------------------


def _encode_error(record: AvroRecord) -> EnvelopeError:
    with pytest.raises(EnvelopeError) as caught:
        CODEC.encode(record)
    assert caught.value.code == RecordProblemCode.INVALID
    return caught.value


def test_naive_time_is_refused_rather_than_shifted() -> None:
    error = _encode_error(dataclasses.replace(sample_delivery(), submitted_at=datetime(2024, 1, 1)))
    assert error.location.path == "DeliveryRecord.submitted_at"


def test_digest_of_the_wrong_length_is_refused() -> None:
    error = _encode_error(dataclasses.replace(sample_delivery(), packet_sha256=b"short"))
    assert "packet_sha256" in error.message


def test_value_of_the_wrong_type_is_refused() -> None:
    _encode_error(dataclasses.replace(sample_delivery(), attempt="first"))  # type: ignore[arg-type]


def test_error_about_a_large_packet_stays_short() -> None:
    huge = InlinePacket(b"x" * 1_000_000)
    error = _encode_error(dataclasses.replace(sample_delivery(huge), attempt=2**40))
    assert len(error.message) < 500


# --- registry ---------------------------------------------------------------------------------


def test_registry_refuses_two_schemas_for_one_version() -> None:
    registry = SchemaRegistry.shipped()
    with pytest.raises(ValueError, match="version 1"):
        registry.with_schema(registry.get(DeliveryRecord.AVRO_NAME, 1))


def test_pinning_a_version_the_node_does_not_know_is_refused() -> None:
    codec = RecordCodec(versions={DeliveryRecord.AVRO_NAME: 9})
    with pytest.raises(EnvelopeError) as caught:
        codec.encode(sample_delivery())
    assert caught.value.code == RecordProblemCode.UNKNOWN_SCHEMA
    assert "version 9" in caught.value.message


def test_registry_change_knows_whether_its_payload_is_intact() -> None:
    payload = '{"ops": [{"op": "close", "code": "000.00.00.H01"}]}'
    change = RegistryChange(
        version=42,
        effective_at=datetime(2024, 7, 1).astimezone(),
        published_at=datetime(2024, 6, 20).astimezone(),
        publisher="Văn phòng Chính phủ",
        reason="Sáp nhập đơn vị",
        payload_json=payload,
        payload_sha256=sha256(payload.encode()),
    )
    assert CODEC.decode(CODEC.encode(change), RegistryChange).payload_intact()
    assert not dataclasses.replace(change, payload_json=payload + " ").payload_intact()
