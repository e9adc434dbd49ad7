"""Attachments: streamed base64 decoding, contents held once with size and SHA-256, and a
packet with a large attachment parsed without extra copies of it."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tracemalloc
from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envelopes.attachments import Attachment, AttachmentContent, Base64Decoder, Base64Error
from envelopes.model import DocumentPacket
from envelopes.parsing import parse_packet
from envelopes.writing import to_bytes
from tests.envelopes.fixture_files import sample


def _decode(*pieces: str) -> bytes:
    decoder = Base64Decoder()
    for piece in pieces:
        decoder.feed(piece)
    return decoder.finish().read_all()


@given(data=st.binary(max_size=5000), cuts=st.lists(st.integers(0, 7000), max_size=6))
def test_decoding_in_any_pieces_gives_the_bytes(data: bytes, cuts: list[int]) -> None:
    text = base64.encodebytes(data).decode()  # MIME style: a line break every 76 characters
    bounds = [0, *sorted(c % (len(text) + 1) for c in cuts), len(text)]
    pieces = [text[a:b] for a, b in pairwise(bounds)]
    assert _decode(*pieces) == data


def test_missing_final_padding_is_accepted() -> None:
    assert _decode("QUI") == b"AB"


@pytest.mark.parametrize(
    "text",
    ["QUJD!", "QUJD=QUJD", "QUJDR", "QUJDé", "QQ==QQ=="],
    ids=["bad-character", "data-after-padding", "truncated", "non-ascii", "padding-twice"],
)
def test_invalid_base64_is_refused(text: str) -> None:
    with pytest.raises(Base64Error):
        _decode(text[:3], text[3:])


def test_data_after_padding_in_a_later_batch_is_refused() -> None:
    decoder = Base64Decoder()
    decoder.feed("QQ==" + " " * 70_000)
    decoder.feed("QUJD")
    with pytest.raises(Base64Error):
        decoder.finish()


def test_content_offers_chunks_a_file_and_a_copy() -> None:
    content = AttachmentContent([b"abc", b"", b"def"])
    assert content.size == 6
    assert content.sha256 == hashlib.sha256(b"abcdef").hexdigest()
    assert list(content.iter_chunks()) == [b"abc", b"def"]
    with content.open() as file:
        assert file.read(4) == b"abcd"
        assert file.read() == b"ef"
    out = io.BytesIO()
    assert content.write_to(out) == 6
    assert out.getvalue() == b"abcdef"
    assert content == AttachmentContent.from_bytes(b"abcdef")
    assert content != AttachmentContent.from_bytes(b"abcdeg")
    assert hash(content) == hash(AttachmentContent.from_bytes(b"abcdef"))


@given(st.lists(st.binary(max_size=200_000), max_size=4))
def test_base64_output_decodes_to_the_content(chunks: list[bytes]) -> None:
    content = AttachmentContent(chunks)
    assert base64.b64decode(b"".join(content.iter_base64())) == b"".join(chunks)


def test_a_twelve_megabyte_attachment_is_parsed_without_copies_of_the_packet() -> None:
    # Beyond libxml2's 10 MB text-node limit, which only a streamed decode gets past safely.
    payload = os.urandom(12 * 1024 * 1024)
    base = parse_packet(sample("document-new.edxml"))
    assert isinstance(base, DocumentPacket)
    content = AttachmentContent.from_bytes(payload)
    attachment = Attachment(content_id="cid:1", name="big.bin", content=content)
    data = to_bytes(replace(base, manifest=(attachment.reference,), attachments=(attachment,)))
    del payload
    tracemalloc.start()
    packet = parse_packet(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert isinstance(packet, DocumentPacket)
    assert packet.attachments[0].sha256 == attachment.sha256
    assert packet.attachments[0].size == 12 * 1024 * 1024
    # What stays is the decoded content (3/4 of its base64); the parse adds little on top.
    assert peak < 0.85 * len(data)
