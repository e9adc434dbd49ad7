"""The acceptance policy: which problems refuse a packet (errors) and which are accepted and
reported with it (findings), each with the reason it is one or the other.

Real traffic is messy, and the national reader accepts much that QCVN 102 does not write down.
A rule refuses a packet only when it protects security or routing: who sent it and to whom,
the DocumentId that keys de-duplication and tracking, what a status reports on, the
attachments and their manifest, sizes and depth, DTDs and entities, namespaces and comments
that would let two readers read two different packets. Everything else is a finding: the
packet is routed, and the problem is reported in the submission's answer, in the tracking
timeline and by `axis envelope validate`, so the sender can fix it without losing traffic.
"""

from __future__ import annotations

from enum import StrEnum

from envelopes.problem_codes import ProblemCode


class Severity(StrEnum):
    ERROR = "error"
    """The packet is refused."""
    FINDING = "finding"
    """The packet is accepted; the problem is reported with it."""


E, F = Severity.ERROR, Severity.FINDING

RULES: dict[ProblemCode, tuple[Severity, str]] = {
    # Hostile or not well-formed: nothing can be read safely, or two readers read two packets.
    ProblemCode.TOO_LARGE: (E, "bounds memory before anything is read"),
    ProblemCode.FILE_UNREADABLE: (E, "there is nothing to read"),
    ProblemCode.MALFORMED: (E, "not XML: nothing can be read, nor signed"),
    ProblemCode.DTD_FORBIDDEN: (E, "a DTD can read files, reach the network or explode"),
    ProblemCode.EXTERNAL_DTD_FORBIDDEN: (E, "a DTD can read files or reach the network"),
    ProblemCode.EXTERNAL_ENTITY_FORBIDDEN: (E, "XXE: reads files or URLs into the packet"),
    ProblemCode.PARAMETER_ENTITY_FORBIDDEN: (E, "a building block of XXE"),
    ProblemCode.ENTITY_EXPANSION_FORBIDDEN: (E, "an expansion bomb exhausts memory"),
    ProblemCode.ENTITY_DECLARATION_FORBIDDEN: (E, "entities are only ever used to attack"),
    ProblemCode.ENTITY_FORBIDDEN: (E, "an undefined entity is a fatal XML error"),
    ProblemCode.PROCESSING_INSTRUCTION_FORBIDDEN: (E, "instructions to a reader we do not run"),
    ProblemCode.TOO_DEEP: (E, "bounds the stack"),
    ProblemCode.TOO_MANY_ELEMENTS: (E, "bounds memory and time"),
    ProblemCode.TOO_MANY_ATTRIBUTES: (E, "bounds memory and time"),
    ProblemCode.ATTRIBUTE_TOO_LARGE: (E, "bounds memory"),
    ProblemCode.TEXT_TOO_LARGE: (E, "bounds memory (attachments are streamed, not bounded so)"),
    ProblemCode.NAMESPACE_INVALID: (E, "no canonical form: no signature can cover it"),
    ProblemCode.COMMENT_IN_TEXT: (E, "the signature does not cover it; two readers differ"),
    ProblemCode.WRONG_NAMESPACE: (
        E,
        "a foreign element named like an edXML one would be read as one by some readers",
    ),
    # What routing and tracking read.
    ProblemCode.MISSING_ELEMENT: (E, "From, To, the DocumentId, a status's subject: routing"),
    ProblemCode.UNEXPECTED_ELEMENT: (E, "a packet that is two kinds, or routes two ways"),
    ProblemCode.DOCUMENT_ID_INVALID: (E, "the packet's DocumentId keys de-duplication, tracking"),
    ProblemCode.DOCUMENT_ID_SENDER_MISMATCH: (
        E,
        "a DocumentId names its sender: no agency files under another's numbering",
    ),
    ProblemCode.UNKNOWN_STATUS_CODE: (E, "a status's code is what tracking records"),
    ProblemCode.UNKNOWN_BUSINESS_TYPE: (E, "revoke, update and replace route differently"),
    ProblemCode.RECEIVER_INVALID: (E, "an update's receivers are where it goes"),
    ProblemCode.MANIFEST_MISMATCH: (E, "an attachment announced but absent, or hidden"),
    ProblemCode.BAD_BASE64: (E, "an attachment that cannot be decoded is lost"),
    # What nothing at the node depends on: accepted, and reported.
    ProblemCode.MISSING_INFORMATION: (F, "QCVN 102 asks for it; the node needs none of it"),
    ProblemCode.REPEATED_ELEMENT: (F, "routing reads none of it; the first is kept"),
    ProblemCode.BAD_VALUE: (F, "priorities, amounts and flags do not route; read as absent"),
    ProblemCode.BAD_DATE: (F, "dates never route; the value is dropped"),
    ProblemCode.REFERENCED_DOCUMENT_ID_INVALID: (
        F,
        "another document's id: seen with impossible dates in real packets; ignored",
    ),
    ProblemCode.REFERENCED_DOCUMENT_ID_SENDER_MISMATCH: (
        F,
        "codes change while numbers stay (2025): seen in real packets",
    ),
    ProblemCode.BUSINESS_DOCUMENT_ID_MISSING: (
        F,
        "real revoke and replace packets name the document in ResponseFor instead",
    ),
    ProblemCode.SCHEMA_MISSING_ELEMENT: (F, "the XSD writes QCVN 102 down; the reader checks"),
    ProblemCode.SCHEMA_UNEXPECTED_ELEMENT: (F, "order and extras protect nothing the reader reads"),
    ProblemCode.SCHEMA_BAD_VALUE: (F, "the reader checks the values it uses"),
    ProblemCode.SCHEMA_VIOLATION: (F, "attributes and stray text protect nothing"),
    ProblemCode.TOO_MANY_PROBLEMS: (F, "a count of problems listed no further"),
}
"""Every problem code: its severity and, in a few words, why."""


def severity(code: str) -> Severity:
    """The severity of a problem code (a code from outside `envelopes` is an error)."""
    rule = RULES.get(ProblemCode(code)) if code in _CODES else None
    return rule[0] if rule is not None else Severity.ERROR


def is_error(code: str) -> bool:
    return severity(code) is Severity.ERROR


_CODES = frozenset(code.value for code in ProblemCode)
