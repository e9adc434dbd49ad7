"""The machine codes of every problem the edXML language reports, each with what it means."""

from __future__ import annotations

from enum import StrEnum


class ProblemCode(StrEnum):
    """The `code` of a `Problem`: stable strings that callers, logs and status packets match on."""

    # Refused before or while parsing: the bytes are not safe or not well-formed XML.
    TOO_LARGE = "EDXML_TOO_LARGE"
    """The packet is bigger than the configured limit; refused before parsing."""
    FILE_UNREADABLE = "EDXML_FILE_UNREADABLE"
    """The packet file is missing or cannot be read."""
    MALFORMED = "EDXML_MALFORMED"
    """The bytes are not well-formed XML."""
    DTD_FORBIDDEN = "EDXML_DTD_FORBIDDEN"
    """A DOCTYPE (internal or external DTD) appears; refused before any of it is read.
    The codes below name what the DOCTYPE attempted, when that can be told."""
    EXTERNAL_DTD_FORBIDDEN = "EDXML_EXTERNAL_DTD_FORBIDDEN"
    """The DOCTYPE names an external DTD (SYSTEM or PUBLIC identifier)."""
    EXTERNAL_ENTITY_FORBIDDEN = "EDXML_EXTERNAL_ENTITY_FORBIDDEN"
    """The DOCTYPE declares an external entity (XXE: a file or URL read into the packet)."""
    PARAMETER_ENTITY_FORBIDDEN = "EDXML_PARAMETER_ENTITY_FORBIDDEN"
    """The DOCTYPE declares a parameter entity (`<!ENTITY % ...>`)."""
    ENTITY_EXPANSION_FORBIDDEN = "EDXML_ENTITY_EXPANSION_FORBIDDEN"
    """The DOCTYPE declares entities that expand into entities (an expansion bomb)."""
    ENTITY_DECLARATION_FORBIDDEN = "EDXML_ENTITY_DECLARATION_FORBIDDEN"
    """The DOCTYPE declares (internal) entities."""
    ENTITY_FORBIDDEN = "EDXML_ENTITY_FORBIDDEN"
    """An entity reference other than the five predefined ones appears."""
    PROCESSING_INSTRUCTION_FORBIDDEN = "EDXML_PROCESSING_INSTRUCTION_FORBIDDEN"
    """A processing instruction (`<?...?>` other than the XML declaration) appears."""
    TOO_DEEP = "EDXML_TOO_DEEP"
    """Elements are nested deeper than the configured limit."""
    TOO_MANY_ELEMENTS = "EDXML_TOO_MANY_ELEMENTS"
    """The packet has more elements than the configured limit."""
    TOO_MANY_ATTRIBUTES = "EDXML_TOO_MANY_ATTRIBUTES"
    """One element carries more attributes than the configured limit."""
    ATTRIBUTE_TOO_LARGE = "EDXML_ATTRIBUTE_TOO_LARGE"
    """An attribute value is longer than the configured limit."""
    TEXT_TOO_LARGE = "EDXML_TEXT_TOO_LARGE"
    """A text value outside the attachments is longer than the configured limit."""
    NAMESPACE_INVALID = "EDXML_NAMESPACE_INVALID"
    """The XML is not namespace-well-formed: an undeclared prefix, a name with two colons, an
    empty or invalid namespace URI, a rebound `xml`/`xmlns` prefix, an attribute given twice.
    Such bytes have no canonical form, so no signature over them can be checked."""
    COMMENT_IN_TEXT = "EDXML_COMMENT_IN_TEXT"
    """A comment inside a text value (`Pay 1<!--x-->000`): the signature does not cover
    comments, and a reader that takes the first text node reads something else than the node."""

    # Found by validation; all of them are collected. Errors refuse the packet; findings are
    # reported with an accepted one (see `envelopes.policy`, which says which is which).
    WRONG_NAMESPACE = "EDXML_WRONG_NAMESPACE"
    """An element is not in the edXML namespace (nor in no namespace, nor XML-DSig)."""
    MISSING_ELEMENT = "EDXML_MISSING_ELEMENT"
    """An element the node routes or tracks by is absent or empty (From, To, the DocumentId,
    a status's ResponseFor and StatusCode, an attachment's ContentId and content)."""
    UNEXPECTED_ELEMENT = "EDXML_UNEXPECTED_ELEMENT"
    """An element that makes the packet ambiguous: a document's element in a status (or the
    reverse), attachments on a status, or a second one of what routing reads once."""
    MISSING_INFORMATION = "EDXML_MISSING_INFORMATION"
    """An element QCVN 102 asks for that nothing at the node depends on (Code, PromulgationInfo,
    DocumentType, Subject, a status's Timestamp, a replace's ReplacementInfoList)."""
    REPEATED_ELEMENT = "EDXML_REPEATED_ELEMENT"
    """An element given more than once where QCVN 102 has one, and routing reads none: the
    first is read."""
    BAD_VALUE = "EDXML_BAD_VALUE"
    """A value routing does not use has the wrong form (a priority, an amount, a flag): it is
    read as absent."""
    RECEIVER_INVALID = "EDXML_RECEIVER_INVALID"
    """A Receiver of an update has no OrganId, or a ReceiverType other than 0 or 1: who gets
    the update cannot be known."""
    BAD_DATE = "EDXML_BAD_DATE"
    """A date or timestamp is neither `yyyy/MM/dd` nor `dd/MM/yyyy` (with `HH:mm:ss`)."""
    DOCUMENT_ID_INVALID = "EDXML_DOCUMENT_ID_INVALID"
    """A DocumentId is not `{senderCode},{yyyy/MM/dd},{number}/{notation}`."""
    DOCUMENT_ID_SENDER_MISMATCH = "EDXML_DOCUMENT_ID_SENDER_MISMATCH"
    """The packet's own DocumentId names another agency than its From."""
    REFERENCED_DOCUMENT_ID_INVALID = "EDXML_REFERENCED_DOCUMENT_ID_INVALID"
    """A DocumentId that names another document (Bussiness, a document's ResponseFor,
    ReplacementInfo) cannot be read, e.g. an impossible date (2014/02/30): it is ignored."""
    REFERENCED_DOCUMENT_ID_SENDER_MISMATCH = "EDXML_REFERENCED_DOCUMENT_ID_SENDER_MISMATCH"
    """A DocumentId that names another document starts with another code than the agency the
    packet says sent it (ResponseFor/OrganId, or From for Bussiness): codes change, numbers
    stay."""
    BUSINESS_DOCUMENT_ID_MISSING = "EDXML_BUSINESS_DOCUMENT_ID_MISSING"
    """A revoke, update or replace without Bussiness/DocumentId: the document acted on is taken
    from ResponseFor (or ReplacementInfoList), as real packets name it."""
    UNKNOWN_STATUS_CODE = "EDXML_UNKNOWN_STATUS_CODE"
    """A StatusCode that QCVN 102:2016 does not define."""
    UNKNOWN_BUSINESS_TYPE = "EDXML_UNKNOWN_BUSINESS_TYPE"
    """A BussinessDocType that QCVN 102:2016 does not define."""
    MANIFEST_MISMATCH = "EDXML_MANIFEST_MISMATCH"
    """Manifest references and attachments do not match one to one by ContentId."""
    BAD_BASE64 = "EDXML_BAD_BASE64"
    """An attachment's ContentTransferEncoded is not valid base64."""

    # The profile's XSD (`envelopes/schema/edxml.xsd`): what QCVN 102 writes down, checked for
    # the sender's benefit. The model reader above checks what the node relies on.
    SCHEMA_MISSING_ELEMENT = "EDXML_SCHEMA_MISSING_ELEMENT"
    """The schema expects an element that is absent or empty."""
    SCHEMA_UNEXPECTED_ELEMENT = "EDXML_SCHEMA_UNEXPECTED_ELEMENT"
    """An element stands where the schema does not expect it, or more often."""
    SCHEMA_BAD_VALUE = "EDXML_SCHEMA_BAD_VALUE"
    """A value does not have the form the schema gives it."""
    SCHEMA_VIOLATION = "EDXML_SCHEMA_VIOLATION"
    """Any other disagreement with the edXML schema (attributes, stray text)."""
    TOO_MANY_PROBLEMS = "EDXML_TOO_MANY_PROBLEMS"
    """More problems than are worth listing; the first ones are listed before this one."""
