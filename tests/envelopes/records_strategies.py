"""Hypothesis strategies and sample values for the bus-record tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from envelopes.codes import BusinessDocType, Priority, StatusCode
from envelopes.records import (
    DeliveryRecord,
    Hop,
    InlinePacket,
    PacketReference,
    RecordKind,
    RegistryChange,
    StatusRecord,
    TrackingEvent,
    TrackingEventType,
    sha256,
)

VIETNAM = timezone(timedelta(hours=7))

INT32 = st.integers(-(2**31), 2**31 - 1)
LONG = st.integers(-(2**63), 2**63 - 1)
codes = st.text(min_size=1, max_size=20)
texts = st.text(max_size=50)
digests = st.binary(min_size=32, max_size=32)
# Avro keeps times to the millisecond; any zone, since the instant is what travels.
times = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, VIETNAM]),
).map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))
packets = st.one_of(
    st.builds(InlinePacket, data=st.binary(max_size=200)),
    st.builds(PacketReference, uri=st.text(min_size=1), size=st.integers(0, 2**63 - 1)),
)

hops = st.builds(Hop, organ_id=codes, at=times, node_id=st.none() | codes)

deliveries = st.builds(
    DeliveryRecord,
    message_id=st.uuids(),
    kind=st.sampled_from(RecordKind),
    sender_code=codes,
    recipient_code=codes,
    document_id=texts,
    packet=packets,
    packet_sha256=digests,
    submitted_at=times,
    attempt=INT32,
    hops=st.lists(hops, max_size=4).map(tuple),
    redirected_from=st.none() | codes,
    business_type=st.none() | st.sampled_from(BusinessDocType),
    priority=st.none() | st.sampled_from(Priority),
)

statuses = st.builds(
    StatusRecord,
    message_id=st.uuids(),
    original_document_id=texts,
    from_code=codes,
    to_code=codes,
    status_code=st.sampled_from(StatusCode),
    at=times,
    packet=packets,
    packet_sha256=digests,
    original_message_id=st.none() | st.uuids(),
    description=st.none() | texts,
)

tracking_events = st.builds(
    TrackingEvent,
    message_id=st.uuids(),
    recipient_code=codes,
    event=st.sampled_from(TrackingEventType),
    at=times,
    attempt=INT32,
    node_id=codes,
    status_code=st.none() | st.sampled_from(StatusCode),
    detail=st.none() | texts,
)

registry_changes = st.builds(
    RegistryChange,
    version=LONG,
    effective_at=times,
    published_at=times,
    publisher=texts,
    reason=texts,
    payload_json=texts,
    payload_sha256=digests,
)


def sample_delivery(packet: InlinePacket | PacketReference | None = None) -> DeliveryRecord:
    """A realistic delivery of a small document packet from the Government Office."""
    data = b"<edXML>...</edXML>"
    return DeliveryRecord(
        message_id=uuid.UUID("5f0c6a52-8d0e-4b53-9a57-3f2f4c1e9b10"),
        kind=RecordKind.DOCUMENT,
        sender_code="000.00.00.G22",
        recipient_code="000.00.00.H01",
        document_id="000.00.00.G22,2018/09/20,7816/VPCP-TTDT",
        packet=packet if packet is not None else InlinePacket(data),
        packet_sha256=sha256(data),
        submitted_at=datetime(2018, 9, 20, 8, 30, tzinfo=VIETNAM),
        hops=(Hop("000.00.00.G22", datetime(2018, 9, 20, 8, 30, 1, tzinfo=VIETNAM), "node-1"),),
        business_type=BusinessDocType.NEW,
        priority=Priority.URGENT,
    )
