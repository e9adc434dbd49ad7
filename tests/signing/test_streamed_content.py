"""A spooled packet is verified with its attachments' texts left in their spool
(`signing.streamed_content`): it must answer exactly what the packet's bytes in memory answer
(the same packet, the same signed content digest, the same refusals), and the canonical form
it streams must be, byte for byte, the canonical form libxml2 writes."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace

import pytest
from lxml import etree

from axis.devtools.dev_pki import Issued
from envelopes.attachments import Attachment, AttachmentContent
from envelopes.model import DocumentPacket
from envelopes.parsing import DEFAULT_LIMITS, parse_packet
from envelopes.safe_parsing import build_tree, scan
from envelopes.spool import SpooledPacket
from envelopes.writing import to_bytes
from signing.errors import SignatureCode, SignatureError
from signing.streamed_content import mark
from signing.verification import VerifiedPacket
from tests.envelopes.fixture_files import sample
from tests.support.pki import NOW, Pki, signed


def with_attachments(*sizes: int) -> bytes:
    """document-new.edxml carrying attachments of random bytes of these sizes."""
    base = parse_packet(sample("document-new.edxml"))
    assert isinstance(base, DocumentPacket)
    attachments = tuple(
        Attachment(
            content_id=f"cid:{i}",
            name=f"f{i}.bin",
            content=AttachmentContent.from_bytes(os.urandom(size)),
        )
        for i, size in enumerate(sizes)
    )
    return to_bytes(
        replace(base, manifest=tuple(a.reference for a in attachments), attachments=attachments)
    )


def verified_both(pki: Pki, data: bytes) -> tuple[VerifiedPacket, VerifiedPacket]:
    verifier = pki.verifier()
    return verifier.verify(data, at=NOW), verifier.verify(SpooledPacket.of(data), at=NOW)


@pytest.mark.parametrize("key", ["rsa", "ec"])
@pytest.mark.parametrize("sizes", [(3 * 1024 * 1024,), (1, 0, 700_000)], ids=["one", "three"])
def test_a_spooled_packet_verifies_to_the_same_packet_and_content_digest(
    pki: Pki, key: str, sizes: tuple[int, ...]
) -> None:
    issued: Issued = pki.h53 if key == "rsa" else pki.h53_ec
    in_memory, spooled = verified_both(pki, signed(with_attachments(*sizes), issued))
    assert in_memory.signed_content is not None
    assert spooled.signed_content is None  # digested as it streamed, never held
    assert spooled.content_sha256 == hashlib.sha256(in_memory.signed_content).digest()
    assert spooled.content_sha256 == in_memory.content_sha256
    assert spooled.packet == in_memory.packet
    assert [a.content.read_all() for a in spooled.packet.attachments] == [
        a.content.read_all() for a in in_memory.packet.attachments
    ]


def test_an_attachment_changed_after_signing_is_refused_from_the_spool(pki: Pki) -> None:
    data = signed(with_attachments(2 * 1024 * 1024), pki.h53)
    start = data.index(b"ContentTransferEncoded>") + 100_000
    swapped = b"A" if data[start : start + 1] != b"A" else b"B"
    changed = data[:start] + swapped + data[start + 1 :]  # still base64, one byte differs
    for copy in (changed, SpooledPacket.of(changed)):
        with pytest.raises(SignatureError) as refused:
            pki.verifier().verify(copy, at=NOW)
        assert refused.value.code is SignatureCode.DIGEST_MISMATCH


def test_a_spooled_packet_that_marks_do_not_fit_is_verified_from_memory(pki: Pki) -> None:
    # A comment in an empty ContentTransferEncoded (allowed: it splits no text, and canonical
    # XML leaves it out, so the signature holds): no mark can stand for that element's text.
    data = signed(with_attachments(0, 5000), pki.h53)
    empty = b"<edXML:ContentTransferEncoded></edXML:ContentTransferEncoded>"
    assert data.count(empty) == 1
    commented = data.replace(empty, empty.replace(b"></", b"><!-- x --></"))
    in_memory, spooled = verified_both(pki, commented)
    assert spooled.signed_content is not None  # verified the ordinary way
    assert spooled.content_sha256 == in_memory.content_sha256
    assert spooled.packet == in_memory.packet


@pytest.mark.parametrize("c14n", ["exclusive", "inclusive"])
def test_the_streamed_canonical_form_is_the_one_libxml2_writes(c14n: str) -> None:
    # Texts with every character canonical XML escapes, non-ASCII, and line breaks.
    text = "QUJD&amp;&lt;x&gt;&#13;\nĐơn vị\r\n" * 5000
    packet = (
        '<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016" xmlns:o="urn:other">'
        "<edXMLEnvelope><edXMLHeader/></edXMLEnvelope><AttachmentEncoded>"
        f'<Attachment><ContentTransferEncoded o:a="1">{text}</ContentTransferEncoded></Attachment>'
        f"<Attachment><ContentTransferEncoded>QUJD&amp;x</ContentTransferEncoded></Attachment>"
        "</AttachmentEncoded></edXML>"
    ).encode()
    exclusive = c14n == "exclusive"
    expected = etree.tostring(build_tree(packet), method="c14n", exclusive=exclusive)
    spooled = SpooledPacket.of(packet)
    scanned = scan(spooled, DEFAULT_LIMITS)
    assert scanned.texts is not None
    tree = build_tree(spooled)
    marks = mark(tree, scanned.texts)
    assert marks is not None
    marked = etree.tostring(tree, method="c14n", exclusive=exclusive)
    assert len(marked) < 1000  # the texts are not in the tree any more
    assert b"".join(marks.pieces(marked)) == expected
    assert marks.located(marked).count(b"\n") == expected.count(b"\n")
