"""Names what a refused DOCTYPE was trying to do, so each attack gets its own error code.

The parser stops at the DOCTYPE before libxml2 reads a single declaration of it; this module then
looks at the declaration as plain bytes (a bounded scan, never a parse) to tell an external DTD
from an external entity (XXE), a parameter entity, an entity expansion bomb or a plain DTD.
"""

from __future__ import annotations

import re

from envelopes.problem_codes import ProblemCode

_SCAN_LIMIT = 64 * 1024
"""Bytes of the declaration looked at; a longer one is classified by what shows in that prefix."""

_DOCTYPE = re.compile(rb"<!DOCTYPE\b", re.IGNORECASE)
_EXTERNAL_ID = re.compile(rb"<!DOCTYPE\s+[^\s\[>]+\s+(SYSTEM|PUBLIC)\b", re.IGNORECASE)
_PARAMETER_ENTITY = re.compile(rb"<!ENTITY\s+%")
_EXTERNAL_ENTITY = re.compile(rb"<!ENTITY\s+[^\s%]+\s+(SYSTEM|PUBLIC)\b")
_ENTITY_VALUE_WITH_REFERENCE = re.compile(rb"<!ENTITY\s+[^\s%]+\s+(\"[^\"]*&|'[^']*&)")
_ENTITY = re.compile(rb"<!ENTITY\b")

_REMOVE = " Remove the <!DOCTYPE ...> declaration: edXML packets carry no DTD."


def classify_doctype(data: bytes) -> tuple[ProblemCode, str]:
    """The problem code and sentence for a packet refused because it declares a DOCTYPE."""
    found = _DOCTYPE.search(data, 0, _SCAN_LIMIT)
    declaration = data[found.start() : found.start() + _SCAN_LIMIT] if found else b""
    if _PARAMETER_ENTITY.search(declaration):
        return (
            ProblemCode.PARAMETER_ENTITY_FORBIDDEN,
            "The packet's DOCTYPE declares a parameter entity (<!ENTITY % ...>), a way to pull in "
            "and run outside declarations; it was refused unread." + _REMOVE,
        )
    if _EXTERNAL_ENTITY.search(declaration):
        return (
            ProblemCode.EXTERNAL_ENTITY_FORBIDDEN,
            "The packet's DOCTYPE declares an external entity (<!ENTITY ... SYSTEM/PUBLIC>), which "
            "would read a file or URL into the packet (XXE); nothing was fetched." + _REMOVE,
        )
    if _ENTITY_VALUE_WITH_REFERENCE.search(declaration):
        return (
            ProblemCode.ENTITY_EXPANSION_FORBIDDEN,
            "The packet's DOCTYPE declares entities that expand into other entities (an expansion "
            "bomb such as 'billion laughs'); nothing was expanded." + _REMOVE,
        )
    if _ENTITY.search(declaration):
        return (
            ProblemCode.ENTITY_DECLARATION_FORBIDDEN,
            "The packet's DOCTYPE declares entities; write the characters themselves or numeric "
            "references such as &#233; instead." + _REMOVE,
        )
    if _EXTERNAL_ID.search(declaration):
        return (
            ProblemCode.EXTERNAL_DTD_FORBIDDEN,
            "The packet's DOCTYPE names an external DTD (SYSTEM/PUBLIC); it was not loaded."
            + _REMOVE,
        )
    return (
        ProblemCode.DTD_FORBIDDEN,
        "The packet declares a DOCTYPE; edXML packets must not carry a DTD (internal or external)."
        + _REMOVE,
    )
