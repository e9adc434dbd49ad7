"""Writing: `edXML:` prefix inside the envelope, both namespace bindings, UTF-8, standard dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from lxml import etree

from envelopes.model import DocumentPacket, StatusPacket, TraceHeader
from envelopes.namespaces import EDXML_NS
from envelopes.parsing import parse_packet
from envelopes.writing import to_bytes
from tests.envelopes.fixture_files import sample


def _packet(name: str) -> DocumentPacket:
    packet = parse_packet(sample(name))
    assert isinstance(packet, DocumentPacket)
    return packet


def test_everything_inside_the_envelope_is_prefixed_and_the_root_binds_both() -> None:
    root = etree.fromstring(to_bytes(_packet("document-new.edxml")))
    assert root.tag == f"{{{EDXML_NS}}}edXML"
    assert root.nsmap == {None: EDXML_NS, "edXML": EDXML_NS}
    envelope = root[0]
    assert all(element.prefix == "edXML" for element in envelope.iter())
    contents = root.findall(".//{*}ContentTransferEncoded")
    assert [element.prefix for element in contents] == ["edXML"]


def test_output_is_utf8_with_vietnamese_text_as_is() -> None:
    data = to_bytes(_packet("document-new.edxml"))
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    assert "Sở Khoa học và Công nghệ tỉnh Tây Ninh".encode() in data


def test_lenient_input_forms_are_written_in_the_standard_form() -> None:
    data = to_bytes(_packet("legacy-quirks.edxml")).decode()
    assert "<edXML:PromulgationDate>2025/07/02</edXML:PromulgationDate>" in data
    assert "<edXML:Subject>Báo cáo" in data
    assert "<Signature" not in data  # writing never signs: the signing package does


def test_timestamps_are_written_in_vietnam_time() -> None:
    packet = replace(
        _packet("document-new.edxml"),
        trace_headers=(TraceHeader("000.00.12.H53", datetime(2025, 7, 2, 20, 0, tzinfo=UTC)),),
    )
    assert b"<edXML:Timestamp>2025/07/03 03:00:00</edXML:Timestamp>" in to_bytes(packet)


def test_markup_characters_are_escaped() -> None:
    packet = replace(_packet("document-new.edxml"), subject="a < b & c > d\r\n")
    assert parse_packet(to_bytes(packet)).subject == packet.subject.strip()


def test_text_that_xml_cannot_carry_is_refused() -> None:
    with pytest.raises(ValueError, match=r"XML 1\.0 cannot carry"):
        to_bytes(replace(_packet("document-new.edxml"), subject="bell \x07"))


def test_status_packet_has_no_body() -> None:
    packet = parse_packet(sample("status-03-accepted.edxml"))
    assert isinstance(packet, StatusPacket)
    data = to_bytes(packet)
    assert b"edXMLBody" not in data and b"AttachmentEncoded" not in data
    assert parse_packet(data) == packet
