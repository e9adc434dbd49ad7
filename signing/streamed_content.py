"""The signed content of a spooled packet, digested without being held: each attachment's text
stands in the tree as a short mark while the packet is canonicalized, and the digest reads the
canonical bytes around the marks from memory and each text from its spool.

Why the result is the canonical form itself. Canonical XML writes a text node as its characters
with `&`, `<`, `>` and carriage return escaped (`&amp;`, `&lt;`, `&gt;`, `&#xD;`), whatever
surrounds it. A ContentTransferEncoded element whose only child is its text is written
`<ContentTransferEncoded ...>` + that escaped text + `</ContentTransferEncoded>`; with a mark in
place of the text, the canonical bytes carry the mark there instead, and nothing else changes.
The spool holds the text exactly as the parser reported it (the same parser switches as the
tree, over the same bytes, `envelopes.safe_parsing.scan`), so escaping it slice by slice (the
four characters are single bytes in UTF-8: a slice boundary never splits an escape) gives the
bytes canonicalization would have written.

What is checked before a mark stands in: as many ContentTransferEncoded elements (found by the
same path of local names as the scan) as spooled texts, each with no child node (an element or a
comment would interleave with its text). A mark is 32 random hex digits (its own characters are
written unchanged) and must appear exactly once in the canonical bytes, in order; a packet that
does not fit these rules is verified the ordinary way, from memory.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives.hashes import Hash
from lxml import etree
from signxml.algorithms import DigestAlgorithm, digest_algorithm_implementations

from envelopes.findings import local_name
from envelopes.spool import AttachmentTexts

_CONTENT_PATH = ("AttachmentEncoded", "Attachment", "ContentTransferEncoded")
"""Below the root edXML: where `scan` finds attachment texts (`_ATTACHMENT_CONTENT`)."""
_ESCAPES = ((b"&", b"&amp;"), (b"<", b"&lt;"), (b">", b"&gt;"), (b"\r", b"&#xD;"))


class MarkMismatch(ValueError):
    """The canonical bytes do not hold each mark exactly once, in order."""


@dataclass(frozen=True, slots=True)
class Marks:
    """The marks standing for a spooled packet's attachment texts, and those texts."""

    tokens: tuple[bytes, ...]
    texts: AttachmentTexts

    def pieces(self, canonical: bytes) -> Iterator[bytes]:
        """The canonical form of the packet: `canonical` (made with the marks) with each mark
        replaced by its text, escaped, slice by slice."""
        position = 0
        for index, token in enumerate(self.tokens):
            at = canonical.find(token, position)
            if at < 0 or canonical.find(token, at + len(token)) >= 0:
                raise MarkMismatch("an attachment's place in the canonical packet is unclear")
            yield canonical[position:at]
            for piece in self.texts.slices(index):
                yield _escaped(piece)
            position = at + len(token)
        yield canonical[position:]

    def digests(self, canonical: bytes, algorithm: DigestAlgorithm) -> tuple[bytes, bytes]:
        """The Reference's digest (`algorithm`) and the SHA-256 of the canonical form, in one
        pass over it."""
        reference = Hash(digest_algorithm_implementations[algorithm]())
        content = hashlib.sha256()
        for piece in self.pieces(canonical):
            reference.update(piece)
            content.update(piece)
        return reference.finalize(), content.digest()

    def located(self, canonical: bytes) -> bytes:
        """`canonical` with each mark replaced by as many line breaks as its text holds: the
        elements stand on the lines they stand on in the canonical form (problems name them)."""
        for token, segment in zip(self.tokens, self.texts.segments, strict=True):
            canonical = canonical.replace(token, b"\n" * segment.newlines)
        return canonical


def mark(root: etree._Element, texts: AttachmentTexts) -> Marks | None:
    """Put a mark in place of each attachment text of `root` (the packet's own tree, changed in
    place); None, and the tree untouched, when the packet does not fit the rules above."""
    contents = [
        content
        for attachments in _children(root, _CONTENT_PATH[0])
        for attachment in _children(attachments, _CONTENT_PATH[1])
        for content in _children(attachment, _CONTENT_PATH[2])
    ]
    if local_name(root.tag) != "edXML" or len(contents) != len(texts.segments):
        return None
    if any(len(content) for content in contents):
        return None
    tokens = tuple(secrets.token_hex(16) for _ in contents)
    for content, token in zip(contents, tokens, strict=True):
        content.text = token
    return Marks(tuple(token.encode("ascii") for token in tokens), texts)


def _children(element: etree._Element, name: str) -> Iterator[etree._Element]:
    for child in element:
        if isinstance(child.tag, str) and local_name(child.tag) == name:
            yield child


def _escaped(piece: bytes) -> bytes:
    for raw, escape in _ESCAPES:
        if raw in piece:
            piece = piece.replace(raw, escape)
    return piece
