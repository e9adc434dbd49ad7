"""Tests that nodes of different releases read each other's records (Avro schema resolution).

The shipped v1 schemas are the old release; each test builds an evolved v2 from the shipped
file, the way a future release would add `<record>.v2.avsc`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from importlib import resources
from typing import Any

import pytest

from envelopes.errors import EnvelopeError
from envelopes.records import (
    DeliveryRecord,
    KnownSchema,
    RecordCodec,
    RecordProblemCode,
    SchemaRegistry,
    TrackingEvent,
    TrackingEventType,
)
from tests.envelopes.records_strategies import VIETNAM, sample_delivery

DELIVERY = DeliveryRecord.AVRO_NAME
TRACKING = TrackingEvent.AVRO_NAME


def _shipped(file_name: str) -> dict[str, Any]:
    folder = resources.files("envelopes.records.schemas")
    return json.loads(folder.joinpath(file_name).read_text("utf-8"))  # type: ignore[no-any-return]


def _codecs(newer: dict[str, Any], name: str, *, old: int = 1) -> tuple[RecordCodec, RecordCodec]:
    """(old, new): the old node knows the newer version (shipped a release ahead) but still
    uses version `old`, the latest it shipped."""
    schema = KnownSchema.from_json(json.dumps(newer), old + 1)
    registry = SchemaRegistry.shipped().with_schema(schema)
    return RecordCodec(registry, versions={name: old}), RecordCodec(registry)


# --- an added optional field ----------------------------------------------------------------------


def _delivery_v2() -> dict[str, Any]:
    schema = _shipped("delivery_record.v1.avsc")
    schema["fields"].append({"name": "trace_id", "type": ["null", "string"], "default": None})
    return schema


@dataclass(frozen=True)
class DeliveryRecordV2(DeliveryRecord):
    """What the dataclass of the release that adds `trace_id` would look like."""

    trace_id: str | None = None


def _v1_fields_of(record: DeliveryRecord) -> dict[str, object]:
    return {f.name: getattr(record, f.name) for f in fields(DeliveryRecord)}


def test_new_reader_reads_old_records_with_the_default() -> None:
    old, new = _codecs(_delivery_v2(), DELIVERY)
    record = sample_delivery()
    read = new.decode(old.encode(record), DeliveryRecordV2)
    assert read.trace_id is None
    assert _v1_fields_of(read) == _v1_fields_of(record)


def test_old_reader_reads_new_records_ignoring_the_added_field() -> None:
    old, new = _codecs(_delivery_v2(), DELIVERY)
    base = sample_delivery()
    record = DeliveryRecordV2(**_v1_fields_of(base), trace_id="trace-7")  # type: ignore[arg-type]
    data = new.encode(record)
    assert new.writer_schema(data).version == 2
    read = old.decode(data, DeliveryRecord)
    assert read == base


def test_versions_are_told_apart_by_fingerprint() -> None:
    old, new = _codecs(_delivery_v2(), DELIVERY)
    record = sample_delivery()
    assert old.encode(record)[:10] != new.encode(record)[:10]
    assert old.writer_schema(old.encode(record)).version == 1


def test_node_that_never_saw_the_new_schema_says_so() -> None:
    _, new = _codecs(_delivery_v2(), DELIVERY)
    data = new.encode(DeliveryRecordV2(**_v1_fields_of(sample_delivery())))  # type: ignore[arg-type]
    with pytest.raises(EnvelopeError) as caught:
        RecordCodec().decode(data, DeliveryRecord)
    assert caught.value.code == RecordProblemCode.UNKNOWN_SCHEMA
    assert "newer release" in caught.value.message


def test_added_field_without_default_cannot_read_old_records() -> None:
    schema = _shipped("delivery_record.v1.avsc")
    schema["fields"].append({"name": "trace_id", "type": "string"})
    old, new = _codecs(schema, DELIVERY)
    with pytest.raises(EnvelopeError) as caught:
        new.decode(old.encode(sample_delivery()), DeliveryRecordV2)
    assert caught.value.code == RecordProblemCode.INCOMPATIBLE_SCHEMA


# --- an added enum symbol -------------------------------------------------------------------------

EventTypeV2 = Enum(  # type: ignore[misc]
    "EventTypeV2",
    [(member.name, member.value) for member in TrackingEventType] + [("ARCHIVED", "archived")],
    type=str,
)


@dataclass(frozen=True)
class TrackingEventV2(TrackingEvent):
    """What the dataclass of the release that adds the `archived` event would look like (the
    shipped v2 added `held_back` and `fact`, v3 `rerouted` and `addressed_to`; this is a v4)."""

    event: EventTypeV2  # type: ignore[assignment]


def _tracking_v4() -> dict[str, Any]:
    schema = _shipped("tracking_event.v3.avsc")
    event = next(f for f in schema["fields"] if f["name"] == "event")
    event["type"]["symbols"].append("archived")
    return schema


def test_old_reader_sees_a_new_event_type_as_unknown() -> None:
    old, new = _codecs(_tracking_v4(), TRACKING, old=3)
    event = TrackingEventV2(
        message_id=sample_delivery().message_id,
        recipient_code="000.00.00.H01",
        event=EventTypeV2.ARCHIVED,  # type: ignore[attr-defined]
        at=datetime(2024, 5, 1, 9, 0, tzinfo=VIETNAM),
        attempt=1,
        node_id="node-2",
    )
    read = old.decode(new.encode(event), TrackingEvent)
    assert read.event is TrackingEventType.UNKNOWN
    assert read.at == event.at


def test_a_v1_tracking_event_reads_into_today_with_no_fact() -> None:
    """Events written before v2 (no `fact`, no `held_back`) are read as they were."""
    registry = SchemaRegistry.shipped()
    old, new = RecordCodec(registry, versions={TRACKING: 1}), RecordCodec(registry)
    event = TrackingEvent(
        message_id=sample_delivery().message_id,
        recipient_code="000.00.00.H01",
        event=TrackingEventType.DELIVERED,
        at=datetime(2024, 5, 1, 9, 0, tzinfo=VIETNAM),
        attempt=2,
        node_id="node-1",
    )
    read = new.decode(old.encode(event), TrackingEvent)
    assert read == event and read.fact is None


def test_a_v2_reader_sees_a_rerouted_event_as_unknown_and_a_v2_event_reads_with_no_addressee() -> (
    None
):
    """A node still on v2 (knowing v3's fingerprint) reads `rerouted` as `unknown`; events written
    by v2 read into today's model with `addressed_to` None."""
    registry = SchemaRegistry.shipped()
    v2, today = RecordCodec(registry, versions={TRACKING: 2}), RecordCodec(registry)
    rerouted = TrackingEvent(
        message_id=sample_delivery().message_id,
        recipient_code="000.00.00.H39",
        event=TrackingEventType.REROUTED,
        at=datetime(2025, 7, 1, 9, 0, tzinfo=VIETNAM),
        attempt=2,
        node_id="node-1",
        detail="to 000.00.00.H53",
        fact="rerouted/v7",
    )
    assert today.writer_schema(today.encode(rerouted)).version == 3
    seen = v2.decode(today.encode(rerouted), TrackingEvent)
    assert (seen.event, seen.fact) == (TrackingEventType.UNKNOWN, "rerouted/v7")
    opened = TrackingEvent(
        message_id=rerouted.message_id,
        recipient_code="000.00.00.H53",
        event=TrackingEventType.REDIRECTED,
        at=rerouted.at,
        attempt=1,
        node_id="node-1",
        addressed_to="000.00.00.H39",
    )
    assert today.decode(today.encode(opened), TrackingEvent) == opened
    old = TrackingEvent(
        message_id=rerouted.message_id,
        recipient_code="000.00.00.H53",
        event=TrackingEventType.DELIVERED,
        at=rerouted.at,
        attempt=1,
        node_id="node-1",
    )
    assert today.decode(v2.encode(old), TrackingEvent) == old
