"""Writing packets as edXML: UTF-8, `edXML:` prefix on everything inside the envelope, both
namespace bindings on the root (as real packets have them), standard date forms, attachments
streamed out as base64 without building the whole text in memory."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import BinaryIO

from envelopes.attachments import Attachment
from envelopes.codes import BusinessDocType
from envelopes.dates import format_date, format_timestamp
from envelopes.document_id import DocumentId
from envelopes.model import (
    Business,
    DocumentPacket,
    OtherInfo,
    Packet,
    ResponseFor,
    StatusPacket,
)
from envelopes.namespaces import EDXML_NS, EDXML_PREFIX
from envelopes.text_groups import text_elements

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})

Value = str | int | date | datetime | DocumentId | None


def to_bytes(packet: Packet) -> bytes:
    """The packet as edXML bytes."""
    out = io.BytesIO()
    write_packet(packet, out)
    return out.getvalue()


def write_packet(packet: Packet, out: BinaryIO) -> None:
    """Write the packet as edXML to a binary file (attachments are streamed, not copied)."""
    writer = _Writer(out)
    writer.line('<?xml version="1.0" encoding="UTF-8"?>')
    namespaces = f' xmlns="{EDXML_NS}" xmlns:{EDXML_PREFIX}="{EDXML_NS}"'
    with writer.element("edXML", prefixed=False, attributes=namespaces):
        with writer.element("edXMLEnvelope"):
            with writer.element("edXMLHeader"):
                if isinstance(packet, DocumentPacket):
                    _document_header(writer, packet)
                else:
                    _status_header(writer, packet)
            if isinstance(packet, DocumentPacket):
                _manifest(writer, packet)
        if isinstance(packet, DocumentPacket) and packet.attachments:
            # Outside the envelope, unprefixed but for the content, exactly as real packets are.
            with writer.element("AttachmentEncoded", prefixed=False):
                for attachment in packet.attachments:
                    _attachment(writer, attachment)


# -- document packets ------------------------------------------------------------------------


def _document_header(writer: _Writer, packet: DocumentPacket) -> None:
    with writer.element("MessageHeader"):
        writer.group("From", packet.sender)
        for recipient in packet.recipients:
            writer.group("To", recipient)
        writer.leaf("DocumentId", packet.document_id)
        writer.group("Code", packet.code)
        if packet.promulgation is not None:
            with writer.element("PromulgationInfo"):
                writer.leaf("Place", packet.promulgation.place)
                writer.leaf("PromulgationDate", packet.promulgation.day)
        writer.group("DocumentType", packet.document_type)
        writer.leaf("Subject", packet.subject)
        writer.leaf("Content", packet.content)
        writer.group("SignerInfo", packet.signer)
        writer.leaf("DueDate", packet.due_date)
        _other_info(writer, packet.other_info)
        for response in packet.response_for:
            _response_for(writer, response)
        writer.leaf("SteeringType", packet.steering_type)
        writer.leaves("ToPlaces", "Place", packet.to_places)
    with writer.element("TraceHeaderList"):
        for hop in packet.trace_headers:
            with writer.element("TraceHeader"):
                writer.leaf("OrganId", hop.organ_id)
                writer.leaf("Timestamp", hop.timestamp)
        _business(writer, packet.business)


def _other_info(writer: _Writer, info: OtherInfo) -> None:
    with writer.element("OtherInfo"):
        writer.leaf("Priority", info.priority.value)
        writer.leaf("SphereOfPromulgation", info.sphere_of_promulgation)
        writer.leaf("TyperNotation", info.typer_notation)
        writer.leaf("PromulgationAmount", info.promulgation_amount)
        writer.leaf("PageAmount", info.page_amount)
        writer.leaf("Direction", "true" if info.direction else "false")
        writer.leaves("Appendixes", "Appendix", info.appendixes)


def _response_for(writer: _Writer, response: ResponseFor) -> None:
    with writer.element("ResponseFor"):
        writer.leaf("OrganId", response.organ_id)
        writer.leaf("Code", str(response.code))
        writer.leaf("PromulgationDate", response.day)
        writer.leaf("DocumentId", response.document_id)


def _business(writer: _Writer, business: Business) -> None:
    with writer.element("Bussiness"):
        if business.document_id is not None:
            writer.leaf("DocumentId", business.document_id)
        writer.leaf("BussinessDocType", business.doc_type.value)
        writer.leaf("BussinessDocReason", business.reason)
        writer.leaf("Paper", _digit(business.paper))
        writer.group("StaffInfo", business.staff)
        if business.changes is not None:
            with writer.element("BussinessDocumentInfo"):
                writer.leaf("DocumentInfo", _digit(business.changes.document_info_changed))
                writer.leaf("DocumentReceiver", _digit(business.changes.receivers_changed))
                with writer.element("ReceiverList"):
                    for receiver in business.changes.receivers:
                        with writer.element("Receiver"):
                            writer.leaf("ReceiverType", receiver.receiver_type.value)
                            writer.leaf("OrganId", receiver.organ_id)
        if business.replacements or business.doc_type is BusinessDocType.REPLACE:
            with writer.element("ReplacementInfoList"):
                for replacement in business.replacements:
                    with writer.element("ReplacementInfo"):
                        writer.leaf("DocumentId", replacement.document_id)
                        writer.leaves("OrganIdList", "OrganId", replacement.organ_ids)


def _manifest(writer: _Writer, packet: DocumentPacket) -> None:
    with (
        writer.element("edXMLBody"),
        writer.element("edXMLManifest", attributes=' version="1.0"'),
    ):
        for reference in packet.manifest:
            writer.group("Reference", reference)


def _attachment(writer: _Writer, attachment: Attachment) -> None:
    with writer.element("Attachment", prefixed=False):
        for attr, name in text_elements(Attachment):
            writer.leaf(name, getattr(attachment, attr), prefixed=False)
        writer.stream("ContentTransferEncoded", attachment.content.iter_base64())


# -- status packets --------------------------------------------------------------------------


def _status_header(writer: _Writer, packet: StatusPacket) -> None:
    with writer.element("MessageHeader"):
        writer.group("From", packet.sender)
        _response_for(writer, packet.response_for)
        writer.group("StaffInfo", packet.staff)
        writer.leaf("StatusCode", packet.status_code.value)
        writer.leaf("Description", packet.description)
        writer.leaf("Timestamp", packet.timestamp)


# -- the writer ------------------------------------------------------------------------------


def _digit(flag: bool) -> str:
    return "1" if flag else "0"


class _Writer:
    """Indented XML output to a binary stream, one element per line."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._depth = 0

    def line(self, markup: str) -> None:
        self._out.write(f"{'  ' * self._depth}{markup}\n".encode())

    @contextmanager
    def element(self, name: str, *, prefixed: bool = True, attributes: str = "") -> Iterator[None]:
        """`name` around whatever the with-block writes."""
        tag = _tag(name, prefixed=prefixed)
        self.line(f"<{tag}{attributes}>")
        self._depth += 1
        yield
        self._depth -= 1
        self.line(f"</{tag}>")

    def leaf(self, name: str, value: Value, *, prefixed: bool = True) -> None:
        tag = _tag(name, prefixed=prefixed)
        text = _text(value)
        self.line(f"<{tag}>{_escape(text)}</{tag}>" if text else f"<{tag}/>")

    def leaves(self, name: str, child: str, values: tuple[str, ...]) -> None:
        with self.element(name):
            for value in values:
                self.leaf(child, value)

    def group(self, name: str, group: object) -> None:
        """A text group (see text_groups): one child per declared field."""
        with self.element(name):
            for attr, child in text_elements(group):
                self.leaf(child, getattr(group, attr))

    def stream(self, name: str, chunks: Iterator[bytes]) -> None:
        """`name` with already-encoded ASCII content, written chunk by chunk."""
        tag = _tag(name, prefixed=True)
        self._out.write(f"{'  ' * self._depth}<{tag}>".encode())
        for chunk in chunks:
            self._out.write(chunk)
        self._out.write(f"</{tag}>\n".encode())


def _tag(name: str, *, prefixed: bool) -> str:
    return f"{EDXML_PREFIX}:{name}" if prefixed else name


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def _escape(text: str) -> str:
    bad = _NOT_XML.search(text)
    if bad is not None:
        raise ValueError(f"{text!r} contains {bad.group()!r}, which XML 1.0 cannot carry")
    return text.translate(_ESCAPES)
