"""Attachments of a document packet: manifest references, decoded contents held once, in chunks,
with their size and SHA-256, and the streaming base64 decoder that fills them while parsing."""

from __future__ import annotations

import binascii
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from envelopes.text_groups import element

if TYPE_CHECKING:
    from envelopes.spool import Spool

_DECODE_BATCH_CHARS = 1 << 16
"""Base64 characters gathered before one decode call: big enough to keep the per-call cost low,
small enough that no second copy of a big attachment ever exists."""
_ENCODE_CHUNK_BYTES = 3 * (1 << 15)
"""Decoded bytes per base64 output chunk when writing (a multiple of 3: no padding mid-stream)."""
_XML_WHITESPACE = b" \t\r\n"


class Base64Error(ValueError):
    """The text of a ContentTransferEncoded element is not valid base64."""


class AttachmentContent:
    """The decoded bytes of one attachment, kept once as a sequence of chunks.

    Size and SHA-256 are computed as the bytes arrive, so they cost nothing afterwards. Two
    contents are equal when their size and SHA-256 are equal. The content of a spooled packet
    (`envelopes.spool`) stays in its spool and is read back slice by slice (`spooled`).
    """

    __slots__ = ("_chunks", "_offset", "_spool", "sha256", "size")

    def __init__(self, chunks: Iterable[bytes]) -> None:
        hasher = hashlib.sha256()
        kept: list[bytes] = []
        size = 0
        for chunk in chunks:
            if chunk:
                hasher.update(chunk)
                size += len(chunk)
                kept.append(chunk)
        self._chunks: tuple[bytes, ...] = tuple(kept)
        self._spool: Spool | None = None
        self._offset = 0
        self.size: int = size
        """Length of the decoded bytes."""
        self.sha256: str = hasher.hexdigest()
        """SHA-256 of the decoded bytes, lowercase hex."""

    @classmethod
    def from_bytes(cls, data: bytes) -> AttachmentContent:
        return cls([data])

    @classmethod
    def spooled(cls, spool: Spool, offset: int, size: int, sha256: str) -> AttachmentContent:
        """`size` bytes of `spool` from `offset`, whose SHA-256 the decoder computed."""
        content = cls(())
        content._spool, content._offset = spool, offset
        content.size, content.sha256 = size, sha256
        return content

    def iter_chunks(self) -> Iterator[bytes]:
        """The decoded bytes, chunk by chunk, without copying them (read back, if spooled)."""
        if self._spool is not None:
            return self._spool.slices(self._offset, self.size)
        return iter(self._chunks)

    def open(self) -> BinaryIO:
        """A read-only binary file over the decoded bytes."""
        return io.BufferedReader(_ChunkReader(self.iter_chunks()))

    def write_to(self, out: BinaryIO) -> int:
        """Write the decoded bytes to `out`; returns how many were written."""
        for chunk in self.iter_chunks():
            out.write(chunk)
        return self.size

    def read_all(self) -> bytes:
        """All decoded bytes in one object: a copy, meant for small attachments and tests."""
        return b"".join(self.iter_chunks())

    def iter_base64(self) -> Iterator[bytes]:
        """The content encoded as base64 (one line, padded), chunk by chunk, for writing."""
        pending = b""
        for chunk in self.iter_chunks():
            pending += chunk
            cut = len(pending) - len(pending) % _ENCODE_CHUNK_BYTES
            if cut:
                yield binascii.b2a_base64(pending[:cut], newline=False)
                pending = pending[cut:]
        if pending:
            yield binascii.b2a_base64(pending, newline=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AttachmentContent):
            return NotImplemented
        return self.size == other.size and self.sha256 == other.sha256

    def __hash__(self) -> int:
        return hash(self.sha256)

    def __repr__(self) -> str:
        return f"AttachmentContent(size={self.size}, sha256={self.sha256!r})"


class _ChunkReader(io.RawIOBase):
    """Raw reader over a stream of chunks, so `open()` needs no contiguous copy."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._chunk = b""
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> int:
        target = memoryview(buffer).cast("B")  # type: ignore[arg-type]
        written = 0
        while written < len(target):
            if self._offset == len(self._chunk):
                self._chunk, self._offset = next(self._chunks, b""), 0
                if not self._chunk:
                    break
            take = min(len(target) - written, len(self._chunk) - self._offset)
            target[written : written + take] = self._chunk[self._offset : self._offset + take]
            written += take
            self._offset += take
        return written


class Base64Decoder:
    """Decodes base64 text fed piece by piece (as the XML parser delivers it).

    Whitespace (line breaks every 76 characters are common) is ignored; the final padding may be
    omitted. Anything else that is not strict base64 raises `Base64Error`. With a `sink`, the
    decoded bytes go to that spool instead of memory.
    """

    def __init__(self, sink: Spool | None = None) -> None:
        self._pending: list[str] = []
        self._pending_chars = 0
        self._carry = b""
        self._padded = False
        self._chunks: list[bytes] = []
        self._sink = sink
        self._start = sink.size if sink is not None else 0
        self._hasher = hashlib.sha256()

    def feed(self, text: str) -> None:
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._pending_chars >= _DECODE_BATCH_CHARS:
            self._decode(final=False)

    def finish(self) -> AttachmentContent:
        self._decode(final=True)
        if self._sink is None:
            return AttachmentContent(self._chunks)
        size = self._sink.size - self._start
        return AttachmentContent.spooled(self._sink, self._start, size, self._hasher.hexdigest())

    def _decode(self, *, final: bool) -> None:
        text = "".join(self._pending)
        self._pending.clear()
        self._pending_chars = 0
        try:
            encoded = self._carry + text.encode("ascii").translate(None, _XML_WHITESPACE)
        except UnicodeEncodeError as error:
            raise Base64Error("it contains a character that is not base64") from error
        if final:
            missing = -len(encoded) % 4
            if missing == 3:
                raise Base64Error("its length is not a multiple of 4 (the text is truncated)")
            encoded += b"=" * missing
            self._carry = b""
        else:
            cut = len(encoded) - len(encoded) % 4
            encoded, self._carry = encoded[:cut], encoded[cut:]
        if not encoded:
            return
        if self._padded:
            raise Base64Error("it continues after the final padding '='")
        try:
            decoded = binascii.a2b_base64(encoded, strict_mode=True)
        except binascii.Error as error:
            raise Base64Error(f"{error}".rstrip(".")) from error
        if self._sink is None:
            self._chunks.append(decoded)
        else:
            self._sink.append(decoded)
            self._hasher.update(decoded)
        self._padded = encoded.endswith(b"=")


@dataclass(frozen=True, slots=True)
class Reference:
    """One entry of the edXMLManifest: an attachment the packet announces."""

    content_id: str = element("ContentId")
    content_type: str = element("ContentType")
    description: str = element("Description")
    name: str = element("AttachmentName")


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attachment of AttachmentEncoded, with its decoded content."""

    content_id: str = element("ContentId")
    name: str = element("AttachmentName")
    description: str = element("Description")
    content_type: str = element("ContentType")
    content: AttachmentContent = field(default_factory=lambda: AttachmentContent(()))

    @property
    def size(self) -> int:
        return self.content.size

    @property
    def sha256(self) -> str:
        return self.content.sha256

    @property
    def reference(self) -> Reference:
        """The manifest entry that announces this attachment."""
        return Reference(
            content_id=self.content_id,
            content_type=self.content_type,
            description=self.description,
            name=self.name,
        )
