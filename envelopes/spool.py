"""Large packets on disk instead of in memory: a request body, the attachment texts as parsed,
the decoded attachment contents.

A packet carrying a 50 MiB attachment is about 70 MB. Held in memory it is held several times
over (the body, a parsed tree, its canonical form, the decoded attachment); spooled, the node
keeps at most one of them in memory at any moment (`signing.verification` reads the rest back
slice by slice). A spool is an anonymous temporary file (unlinked when created, so nothing is
left behind if the process dies), in `tempfile`'s directory (`TMPDIR`), freed when the last
reference to it goes. Small packets never touch a spool: memory is faster for them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

SLICE_BYTES = 1024 * 1024
"""Bytes read back at once."""


class Spool:
    """An anonymous temporary file, written by appending and read by offset (`os.pread`: no
    shared file position, so reading it from several places at once is safe)."""

    __slots__ = ("_file", "size")

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the spool)
        self.size = 0
        """Bytes appended so far."""

    def append(self, data: bytes | memoryview) -> None:
        self._file.write(data)
        self.size += len(data)

    def slices(self, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The bytes from `offset` (`length` of them, or to the end), `SLICE_BYTES` at a time."""
        self._file.flush()
        end = self.size if length is None else offset + length
        descriptor = self._file.fileno()
        while offset < end:
            piece = os.pread(descriptor, min(SLICE_BYTES, end - offset), offset)
            if not piece:
                raise OSError(f"the spool ends at {offset:,} bytes, before {end:,}")
            offset += len(piece)
            yield piece

    def read(self, offset: int = 0, length: int | None = None) -> bytes:
        """Those bytes in one object (a copy in memory: for small parts and refusals)."""
        return b"".join(self.slices(offset, length))

    def reader(self) -> SpoolReader:
        """A file-like reader from the start (each reader has its own position)."""
        self._file.flush()
        return SpoolReader(self._file.fileno(), self.size)


class SpoolReader:
    """`read(size)` over a spool, for parsers that take a file (lxml reads it in slices)."""

    __slots__ = ("_descriptor", "_end", "_offset")

    def __init__(self, descriptor: int, end: int) -> None:
        self._descriptor, self._end, self._offset = descriptor, end, 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._end - self._offset
        piece = os.pread(self._descriptor, min(size, self._end - self._offset), self._offset)
        self._offset += len(piece)
        return piece


class SpooledPacket:
    """A packet's bytes as received, spooled, with their size and SHA-256 (computed as they
    arrived). `len()` is the size, as for the bytes of a small packet."""

    __slots__ = ("_hasher", "spool")

    def __init__(self) -> None:
        self.spool = Spool()
        self._hasher = hashlib.sha256()

    @classmethod
    def of(cls, data: bytes) -> SpooledPacket:
        """`data` spooled (tests and tools; a server spools a body as it arrives)."""
        spooled = cls()
        spooled.append(data)
        return spooled

    def append(self, data: bytes | memoryview) -> None:
        self.spool.append(data)
        self._hasher.update(data)

    def __len__(self) -> int:
        return self.spool.size

    @property
    def sha256(self) -> bytes:
        """SHA-256 of the bytes appended so far."""
        return self._hasher.digest()

    def slices(self) -> Iterator[bytes]:
        return self.spool.slices()

    def reader(self) -> SpoolReader:
        """A file-like reader of the bytes, for a parser."""
        return self.spool.reader()

    async def stream(self) -> AsyncIterator[bytes]:
        """The bytes, a slice at a time, for an async consumer (reads hit the page cache)."""
        for piece in self.slices():
            yield piece

    def head(self, length: int) -> bytes:
        return self.spool.read(0, min(length, len(self)))

    def read_all(self) -> bytes:
        """All the bytes in memory: for the rare paths that need them whole (a refusal's
        location, an unsigned packet the node signs)."""
        return self.spool.read()


PacketBytes = bytes | SpooledPacket
"""A packet as submitted: in memory (small) or spooled (large)."""


def packet_sha256(data: PacketBytes) -> bytes:
    """SHA-256 of the packet's bytes as submitted."""
    if isinstance(data, SpooledPacket):
        return data.sha256
    return hashlib.sha256(data).digest()


def in_memory(data: PacketBytes) -> bytes:
    """The packet's bytes in memory (a copy of a spooled one)."""
    return data.read_all() if isinstance(data, SpooledPacket) else data


@dataclass(frozen=True, slots=True)
class Segment:
    """Where one attachment's text stands in an `AttachmentTexts` spool."""

    offset: int
    length: int
    newlines: int
    """Line breaks in the text (so that lines can still be counted without it)."""


@dataclass(slots=True)
class AttachmentTexts:
    """The text of each attachment's ContentTransferEncoded, in document order, exactly as the
    parser reported it (UTF-8), spooled while a spooled packet is scanned. The signature check
    canonicalizes the packet with each text left out and streams the texts into the digest."""

    spool: Spool = field(default_factory=Spool)
    segments: list[Segment] = field(default_factory=list)
    _start: int = 0
    _newlines: int = 0

    def begin(self) -> None:
        self._start, self._newlines = self.spool.size, 0

    def add(self, text: str) -> None:
        self.spool.append(text.encode("utf-8"))
        self._newlines += text.count("\n")

    def end(self) -> None:
        self.segments.append(Segment(self._start, self.spool.size - self._start, self._newlines))

    def slices(self, index: int) -> Iterator[bytes]:
        segment = self.segments[index]
        return self.spool.slices(segment.offset, segment.length)
