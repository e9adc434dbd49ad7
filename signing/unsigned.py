"""A packet without a signature the node can verify, read for the policies that route such
packets (`routing.signature_policy`): its content, the same canonical form a signature would
cover (so de-duplication compares like with like), and the packet with any legacy Signature
removed, ready for the node to sign."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from envelopes.model import Packet
from envelopes.parsing import DEFAULT_LIMITS, Limits, parse_packet
from envelopes.safe_parsing import build_tree


@dataclass(frozen=True, slots=True)
class UnsignedPacket:
    packet: Packet
    """Read from the bytes as submitted (there is no signed content to read it from)."""
    stripped: bytes
    """The packet without its legacy Signature elements (as submitted when it had none)."""
    content: bytes
    """Exclusive canonical XML of the packet without any Signature: what a signature covers."""


def read_unsigned(data: bytes, limits: Limits = DEFAULT_LIMITS) -> UnsignedPacket:
    """The packet in `data`, whatever signature it carries; raises `EnvelopeError` when it is
    refused by the acceptance policy."""
    packet = parse_packet(data, limits)
    root = build_tree(data)
    header = root.find("./{*}edXMLEnvelope/{*}edXMLHeader")
    removed = False
    for signature in [] if header is None else list(header):
        if isinstance(signature.tag, str) and etree.QName(signature).localname == "Signature":
            _remove_keeping_tail(signature)
            removed = True
    stripped = etree.tostring(root, xml_declaration=True, encoding="UTF-8") if removed else data
    content: bytes = etree.tostring(root, method="c14n", exclusive=True)
    return UnsignedPacket(packet, stripped, content)


def _remove_keeping_tail(element: etree._Element) -> None:
    """Remove `element`; the text after it (lxml's `tail`) stays where it was."""
    parent = element.getparent()
    assert parent is not None
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)
