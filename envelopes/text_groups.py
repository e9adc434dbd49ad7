"""Groups of plain text elements (From, To, StaffInfo, Reference...): each dataclass field names
the edXML element it carries, so reading and writing share one description of the group."""

from __future__ import annotations

from dataclasses import field, fields
from typing import Any

_ELEMENT = "edxml_element"


def element(name: str) -> str:
    """Declare a text field carried by the child element `name` (empty when absent)."""
    result: str = field(default="", metadata={_ELEMENT: name})
    return result


def text_elements(group: Any) -> tuple[tuple[str, str], ...]:
    """The (attribute, element name) pairs of a text group class or instance, in declared order."""
    return tuple((f.name, f.metadata[_ELEMENT]) for f in fields(group) if _ELEMENT in f.metadata)
