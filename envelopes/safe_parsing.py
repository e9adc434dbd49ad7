"""Hardened XML parsing of packet bytes: size, depth, element, attribute and text bounds; no DTD,
no entities, no processing instructions; attachments decoded as they stream past.

The bytes are parsed once by libxml2 (through lxml) with a parser *target*: libxml2 reports each
start tag, text piece and end tag to `_ScanTarget`, which refuses what is hostile at the moment
it appears and builds a small *normalized* tree of the rest (every edXML element in no namespace,
whatever its prefix). The text of each attachment never enters that tree: it goes straight into a
streaming base64 decoder, so a 50 MB attachment is held once, decoded, and never as a text node.

Why `huge_tree=True` is safe here. libxml2's "huge" switch lifts its built-in limits on text
nodes (10 MB), attribute values (10 MB), names and nesting depth (256). Those limits exist to
bound hostile input; we need text beyond 10 MB for attachments, and we bound everything ourselves,
earlier and tighter: the total size is checked before parsing (`Limits.max_bytes`); depth, element
count, attribute count and size, and non-attachment text size are checked by `_ScanTarget` as each
piece arrives; with a target, libxml2 builds no tree of its own, so the only large text held is
the decoder's output. The switch does not enable anything: entities are never resolved
(`resolve_entities=False`), no DTD is loaded (`load_dtd=False`), the network is off
(`no_network=True`), and a DOCTYPE stops the parse the moment libxml2 reports its name, before it
reads a single declaration of the internal subset (so no entity is ever declared; any entity
reference other than the five predefined ones is then a fatal "undefined entity" error).

What `scan` accepts, every later step can parse. libxml2 reports some errors without stopping a
parse with a target (an undeclared prefix, an invalid namespace URI), while the same bytes stop
the tree parse that the signature check makes: `scan` refuses every error libxml2 logged, so
validation, signing, verification and submission can never disagree about a packet
(`EDXML_NAMESPACE_INVALID` for the namespace ones, `EDXML_MALFORMED` otherwise).

Comments. The signature's canonical form leaves comments out, so a comment slipped into a text
value after signing (`<Subject>Pay 1<!--x-->000</Subject>`) keeps the signature valid while a
reader that takes an element's first text node reads "Pay 1" and the node reads "Pay 1000".
A comment inside an element that has text (`EDXML_COMMENT_IN_TEXT`) is refused; a comment
between elements or outside the root changes nothing anyone reads, and real packets carry such
comments, so they are accepted and dropped.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from lxml import etree

from envelopes.attachments import AttachmentContent, Base64Decoder, Base64Error
from envelopes.doctype import classify_doctype
from envelopes.errors import EnvelopeError, Location, Problem
from envelopes.findings import Finding, local_name
from envelopes.namespaces import EDXML_NS, XMLDSIG_NS
from envelopes.problem_codes import ProblemCode
from envelopes.spool import AttachmentTexts, PacketBytes, Spool, SpooledPacket

_ATTACHMENT_CONTENT = ("edXML", "AttachmentEncoded", "Attachment", "ContentTransferEncoded")
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
"""The start of an absolute URI: a scheme and its colon (RFC 3986)."""
_XML_ERR_UNDECLARED_ENTITY = 26
"""libxml2 error number for a reference to an entity that was never declared."""
_PARSER_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "attribute_defaults": False,
    "huge_tree": True,  # safe: see the module docstring
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Bounds that a packet must respect before its content is looked at."""

    max_bytes: int = 96 * 1024 * 1024
    """Total packet size; checked before parsing. Base64 makes an attachment a third larger:
    96 MiB carries a 50 MiB attachment (a 70 MB packet) with room to spare."""
    max_depth: int = 64
    """Element nesting depth (a real packet nests about 8 deep)."""
    max_elements: int = 100_000
    """Elements in the packet (a real one has a few hundred)."""
    max_attributes: int = 32
    """Attributes on one element."""
    max_attribute_chars: int = 64 * 1024
    """Length of one attribute value."""
    max_text_chars: int = 1024 * 1024
    """Length of one text value outside attachment contents."""

    def check_size(self, size: int) -> None:
        """Refuse a packet of `size` bytes if it is bigger than allowed."""
        if size > self.max_bytes:
            raise EnvelopeError(
                Problem(
                    ProblemCode.TOO_LARGE,
                    f"The packet is {size:,} bytes; this node accepts at most {self.max_bytes:,}. "
                    "Send large files as separate documents, or ask the operator to raise the "
                    "limit.",
                )
            )


@dataclass(slots=True)
class ScannedPacket:
    """What the hardened pass yields: the normalized tree, decoded attachment contents keyed by
    their (empty) ContentTransferEncoded element, and the problems found along the way."""

    root: etree._Element
    contents: dict[etree._Element, AttachmentContent] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    texts: AttachmentTexts | None = None
    """For a spooled packet: the attachments' texts as parsed, spooled (`envelopes.spool`)."""


def scan(data: PacketBytes, limits: Limits) -> ScannedPacket:
    """Parse `data` under `limits`; raise `EnvelopeError` at the first hostile or malformed part.
    A spooled packet is read slice by slice; its attachments' texts and decoded contents are
    spooled too, so that no big part of it is held in memory."""
    limits.check_size(len(data))
    spooled = isinstance(data, SpooledPacket)
    target = _ScanTarget(limits, AttachmentTexts() if spooled else None)
    parser = etree.XMLParser(target=target, **_PARSER_OPTIONS)
    try:
        root: etree._Element | None
        if isinstance(data, SpooledPacket):  # read from the file as from bytes (not `feed`,
            root = etree.parse(data.reader(), parser)  # which misses logged namespace errors)
        else:
            root = etree.fromstring(data, parser)
    except _Refused as refusal:
        whole = data.read_all() if isinstance(data, SpooledPacket) else data
        if refusal.code is ProblemCode.DTD_FORBIDDEN:
            code, message = classify_doctype(whole)
            raise EnvelopeError(Problem(code, message, Location(None, "/"))) from None
        raise EnvelopeError(refusal.to_problem(whole)) from None
    except etree.XMLSyntaxError as error:
        raise EnvelopeError(_syntax_problem(error)) from None
    except (ValueError, LookupError, UnicodeError) as error:  # e.g. an unknown encoding name
        raise EnvelopeError(
            Problem(ProblemCode.MALFORMED, f"The packet cannot be read as XML: {error}.")
        ) from None
    _refuse_logged_errors(parser)
    if root is None:  # libxml2 reports an empty or unfinished document itself; never reached
        raise EnvelopeError(Problem(ProblemCode.MALFORMED, "The packet has no root element."))
    return ScannedPacket(
        root=root, contents=target.contents, findings=target.findings, texts=target.texts
    )


def _refuse_logged_errors(parser: etree.XMLParser) -> None:
    """Refuse the errors libxml2 logged without stopping (see the module docstring)."""
    for entry in parser.error_log:
        if entry.level < etree.ErrorLevels.ERROR:
            continue
        line = entry.line or None
        message = str(entry.message).strip()
        if entry.domain == etree.ErrorDomains.NAMESPACE:
            raise EnvelopeError(
                Problem(
                    ProblemCode.NAMESPACE_INVALID,
                    f"The packet is not namespace-well-formed: {message}. Declare every prefix "
                    '(e.g. xmlns:xlink="http://www.w3.org/1999/xlink") and give each namespace '
                    "an absolute URI.",
                    Location(line),
                )
            )
        raise EnvelopeError(
            Problem(ProblemCode.MALFORMED, f"The packet is not well-formed XML: {message}.",
                    Location(line))
        )  # fmt: skip


def safe_parser() -> etree.XMLParser:
    """A parser with the same switches as `scan` (no entities, no DTD, no network) that builds
    the packet's own tree. Use it only on bytes `scan` has accepted: it does not bound sizes."""
    return etree.XMLParser(**_PARSER_OPTIONS)


def parse_tree(data: bytes, limits: Limits) -> etree._Element:
    """The packet's own tree, namespaces, prefixes and whitespace as written (what a signature
    covers), after `scan` has refused anything hostile or malformed in `data`."""
    scan(data, limits)
    return build_tree(data)


def build_tree(data: PacketBytes) -> etree._Element:
    """The packet's own tree, for bytes `scan` has accepted (it does not bound sizes)."""
    try:
        root: etree._Element
        if isinstance(data, SpooledPacket):
            root = etree.parse(data.reader(), safe_parser()).getroot()
        else:
            root = etree.fromstring(data, safe_parser())
    except (etree.XMLSyntaxError, ValueError) as error:  # `scan` should have refused it first
        raise EnvelopeError(
            Problem(ProblemCode.MALFORMED, f"The packet cannot be read as XML: {error}.")
        ) from None
    return root


def element_lines(data: bytes, indexes: set[int]) -> dict[int, int]:
    """Source line of the elements at these document-order indexes (0 = root).

    A second pass, run only to report problems: the target parser of `scan` cannot see lines.
    It meets only bytes whose prefix `scan` already vetted, and frees each element as it ends.
    """
    lines: dict[int, int] = {}
    if not indexes:
        return lines
    last = max(indexes)
    count = 0
    events = etree.iterparse(io.BytesIO(data), events=("start", "end"), **_PARSER_OPTIONS)
    try:
        for event, element in events:
            if event == "end":
                element.clear(keep_tail=True)
                continue
            if count in indexes and element.sourceline is not None:
                lines[count] = element.sourceline
            if count >= last:
                break
            count += 1
    except etree.XMLSyntaxError:
        # The bytes beyond the refused element may well be broken: `scan` has already reported
        # that; the lines found before the break are all this pass is for.
        pass
    return lines


class _Refused(Exception):
    """Raised inside the parser target to stop the parse at once."""

    def __init__(
        self,
        code: ProblemCode,
        message: str,
        path: str,
        index: int | None,
        *,
        near: tuple[bytes, ...] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path
        self.index = index
        self.near = near
        """Bytes the refused part is written as, to find its line when no element has one."""

    def to_problem(self, data: bytes) -> Problem:
        line = None
        if self.index is not None:
            line = element_lines(data, {self.index}).get(self.index)
        found = next((at for at in (data.find(n) for n in self.near) if at >= 0), -1)
        if line is None and found >= 0:
            line = data.count(b"\n", 0, found) + 1
        return Problem(self.code, self.message, Location(line, self.path))


def _syntax_problem(error: etree.XMLSyntaxError) -> Problem:
    line = error.lineno if error.lineno else None
    message = str(error.msg).strip()
    if error.code == _XML_ERR_UNDECLARED_ENTITY:
        return Problem(
            ProblemCode.ENTITY_FORBIDDEN,
            f"An entity reference is not allowed ({message}); write the character itself, "
            "or a numeric reference such as &#233;.",
            Location(line),
        )
    return Problem(
        ProblemCode.MALFORMED,
        f"The packet is not well-formed XML: {message}.",
        Location(line),
    )


class _ScanTarget:
    """Receives libxml2's parse events; refuses the hostile, builds the normalized tree."""

    def __init__(self, limits: Limits, texts: AttachmentTexts | None = None) -> None:
        self._limits = limits
        self.texts = texts
        """Where attachments' texts are spooled, with their decoded contents (None: memory)."""
        self._decoded: Spool | None = Spool() if texts is not None else None
        self._builder = etree.TreeBuilder()
        self._names: list[str] = []
        self._elements: list[etree._Element] = []
        self._count = 0
        self._text_chars = 0
        self._signature_depth: int | None = None
        self._content_level: int | None = None
        """Stack height while the current element is an attachment's ContentTransferEncoded."""
        self._decoder: Base64Decoder | None = None
        """Decoder of that content; None once the content proved not to be base64."""
        self._commented: list[bool] = []
        """Per open element: a comment stood inside it."""
        self._texted: list[bool] = []
        """Per open element: it has text other than whitespace."""
        self.contents: dict[etree._Element, AttachmentContent] = {}
        self.findings: list[Finding] = []

    # -- events libxml2 reports -------------------------------------------------------------

    def doctype(self, name: str, public_id: str | None, system_url: str | None) -> None:
        raise _Refused(
            ProblemCode.DTD_FORBIDDEN,
            "The packet declares a DOCTYPE; edXML packets must not carry a DTD "
            "(internal or external). Remove the <!DOCTYPE ...> declaration.",
            "/",
            None,
        )

    def pi(self, target: str, data: str | None) -> None:
        raise _Refused(
            ProblemCode.PROCESSING_INSTRUCTION_FORBIDDEN,
            f"The packet contains the processing instruction <?{target} ...?>; "
            "edXML packets must not carry processing instructions. Remove it.",
            self._path_of_next(None),
            None,
        )

    def comment(self, text: str) -> None:
        """Comments between elements are dropped; one inside a text value is refused at the end
        of its element (see the module docstring)."""
        if self._elements:
            self._commented[-1] = True

    def start_ns(self, prefix: str | None, uri: str) -> None:
        """A namespace declaration: its URI must be absolute (canonical XML, which every
        signature goes through, cannot handle a relative one), or empty to undeclare the
        default namespace."""
        if uri and not _ABSOLUTE_URI.match(uri):
            declared = f"xmlns:{prefix}" if prefix else "xmlns"
            raise _Refused(
                ProblemCode.NAMESPACE_INVALID,
                f'The namespace declaration {declared}="{uri[:200]}" is not an absolute URI; '
                "a namespace is named by an absolute URI (such as urn:... or http://...), "
                "without which the packet has no canonical form to sign.",
                self._path_of_next(None),
                None,
                near=tuple(f"{declared}={quote}{uri}{quote}".encode() for quote in ('"', "'")),
            )

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        namespace, name = _split(tag)
        self._check_bounds(name, attrib)
        self._check_names(name, attrib)
        self._text_chars = 0
        element = self._builder.start(name, {k: v for k, v in attrib.items() if "}" not in k})
        self._commented.append(False)
        self._texted.append(False)
        if not self._elements:
            self._check_root(namespace, name)
        elif self._signature_depth is None:
            self._check_namespace(namespace, name, element)
        if self._signature_depth is None and name == "Signature":
            self._signature_depth = len(self._elements)
        self._names.append(name)
        self._elements.append(element)
        self._count += 1
        if self._content_level is None and tuple(self._names) == _ATTACHMENT_CONTENT:
            self._content_level = len(self._elements)
            self._decoder = Base64Decoder(self._decoded)
            if self.texts is not None:
                self.texts.begin()

    def data(self, text: str) -> None:
        if self._texted and not self._texted[-1] and not text.isspace():
            self._texted[-1] = True
        if self._content_level == len(self._elements):
            self._feed_attachment(text)
        else:
            self._text_chars += len(text)
            if self._text_chars > self._limits.max_text_chars:
                raise _Refused(
                    ProblemCode.TEXT_TOO_LARGE,
                    f"A text value is longer than {self._limits.max_text_chars:,} characters; "
                    "only attachment contents may be that long.",
                    self._path_of_next(None),
                    None,
                )
            self._builder.data(text)

    def end(self, tag: str) -> None:
        commented, texted = self._commented.pop(), self._texted.pop()
        if commented and texted:
            raise _Refused(
                ProblemCode.COMMENT_IN_TEXT,
                "A comment stands inside a text value. The signature does not cover comments, "
                "so a reader could read a part of the text only; remove the comment.",
                self._path_of_next(None),
                None,
            )
        if self._content_level == len(self._elements):
            self._finish_attachment()
        self._elements.pop()
        name = self._names.pop()
        if self._signature_depth == len(self._elements):
            self._signature_depth = None
        self._text_chars = 0
        self._builder.end(name)

    def close(self) -> etree._Element | None:
        # lxml calls close() even after a refusal or a syntax error; the tree is then unfinished
        # and closing it would raise its own error in place of the one that stopped the parse.
        if self._count == 0 or self._elements:
            return None
        root: etree._Element = self._builder.close()
        return root

    # -- checks -----------------------------------------------------------------------------

    def _check_bounds(self, name: str, attrib: dict[str, str]) -> None:
        limits = self._limits
        if len(self._elements) >= limits.max_depth:
            self._refuse_element(
                ProblemCode.TOO_DEEP,
                f"Elements are nested more than {limits.max_depth} deep; "
                "an edXML packet nests about 8 deep.",
                name,
            )
        if self._count >= limits.max_elements:
            self._refuse_element(
                ProblemCode.TOO_MANY_ELEMENTS,
                f"The packet has more than {limits.max_elements:,} elements.",
                name,
            )
        if len(attrib) > limits.max_attributes:
            self._refuse_element(
                ProblemCode.TOO_MANY_ATTRIBUTES,
                f"Element {name} has {len(attrib)} attributes; at most {limits.max_attributes} "
                "are accepted.",
                name,
            )
        for key, value in attrib.items():
            if len(value) > limits.max_attribute_chars:
                self._refuse_element(
                    ProblemCode.ATTRIBUTE_TOO_LARGE,
                    f"Attribute {local_name(key)} of {name} is {len(value):,} characters long; "
                    f"at most {limits.max_attribute_chars:,} are accepted.",
                    name,
                )

    def _check_names(self, name: str, attrib: dict[str, str]) -> None:
        """A name libxml2 could not resolve keeps its colon (`a:b:c`, or `x:y` whose prefix
        was never declared): no tree can hold it."""
        bad = name if ":" in name else next((k for k in attrib if ":" in local_name(k)), None)
        if bad is not None:
            self._refuse_element(
                ProblemCode.NAMESPACE_INVALID,
                f"The name {bad!r} is not a qualified name whose prefix is declared; declare the "
                'prefix (xmlns:prefix="URI") or remove it.',
                name.replace(":", "_"),
            )

    def _check_root(self, namespace: str | None, name: str) -> None:
        if namespace != EDXML_NS:
            where = f"namespace {namespace}" if namespace else "no namespace"
            raise _Refused(
                ProblemCode.WRONG_NAMESPACE,
                f"The root element {name} is in {where}; an edXML packet's root must be edXML in "
                f'the namespace {EDXML_NS} (xmlns="{EDXML_NS}").',
                f"/{name}",
                0,
            )

    def _check_namespace(self, namespace: str | None, name: str, element: etree._Element) -> None:
        if namespace in (EDXML_NS, None) or (namespace == XMLDSIG_NS and name == "Signature"):
            return
        self.findings.append(
            Finding(
                ProblemCode.WRONG_NAMESPACE,
                f"Element {name} is in the namespace {namespace}; edXML elements belong to "
                f"{EDXML_NS} (prefix edXML:).",
                element,
            )
        )

    def _feed_attachment(self, text: str) -> None:
        if self.texts is not None:
            self.texts.add(text)
        if self._decoder is None:
            return  # the content already proved not to be base64: the rest adds nothing
        try:
            self._decoder.feed(text)
        except Base64Error as error:
            self._decoder = None
            self._bad_base64(self._elements[-1], error)

    def _finish_attachment(self) -> None:
        decoder, self._decoder, self._content_level = self._decoder, None, None
        if self.texts is not None:
            self.texts.end()
        if decoder is None:
            return
        try:
            self.contents[self._elements[-1]] = decoder.finish()
        except Base64Error as error:
            self._bad_base64(self._elements[-1], error)

    def _bad_base64(self, element: etree._Element, error: Base64Error) -> None:
        self.findings.append(
            Finding(
                ProblemCode.BAD_BASE64,
                f"The attachment content is not valid base64: {error}. Encode the file with "
                "standard base64 (RFC 4648, alphabet A-Z a-z 0-9 + /, padded with =).",
                element,
            )
        )

    # -- locations of refusals --------------------------------------------------------------

    def _refuse_element(self, code: ProblemCode, message: str, name: str) -> None:
        raise _Refused(code, message, self._path_of_next(name), self._count)

    def _path_of_next(self, name: str | None) -> str:
        """Path of the element about to start (or of the current one when `name` is None).
        Sibling indexes count only the siblings seen so far: the parse stops here."""
        steps = list(self._names)
        if name is not None:
            steps.append(name)
            if self._elements:
                seen = sum(1 for child in self._elements[-1] if child.tag == name)
                if seen:
                    steps[-1] = f"{name}[{seen + 1}]"
        return "/" + "/".join(steps)


def _split(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return None, tag
