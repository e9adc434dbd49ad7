"""The shipped XSD of the edXML profile (`edxml.xsd`) and the check of a normalized packet tree
against it, with each schema error turned into a coded finding a person can act on."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from lxml import etree

from envelopes.findings import Finding
from envelopes.problem_codes import ProblemCode

_MESSAGE = re.compile(
    r"Element '(?P<name>[^']+)'(?:, attribute '(?P<attribute>[^']+)')?: (?P<detail>.*)", re.S
)
_EXPECTED = re.compile(r"Expected is (?:one of )?\( (?P<expected>[^)]*) \)")
_VALUE = re.compile(r"The value '(?P<value>[^']*)'")
_VALUE_ERRORS = (
    "SCHEMAV_CVC_PATTERN_VALID",
    "SCHEMAV_CVC_ENUMERATION_VALID",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1",
)


@cache
def edxml_schema() -> etree.XMLSchema:
    """The compiled schema, loaded once on first use."""
    text = files(__package__).joinpath("edxml.xsd").read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(text, parser))


def schema_findings(root: etree._Element, limit: int) -> list[Finding]:
    """Validate a normalized tree (see the header comment of edxml.xsd); one finding per
    element and kind of error, in document order, at most `limit` of them."""
    schema = edxml_schema()
    if schema.validate(root):
        return []
    tree = root.getroottree()
    findings: list[Finding] = []
    seen: set[tuple[int, ProblemCode]] = set()
    for entry in schema.error_log:
        element = _element_at(tree, entry.path)
        finding = _finding(entry, element)
        key = (id(element), finding.code)
        if element is not None and key in seen:
            continue  # libxml2 repeats a value error once per facet and once per type
        seen.add(key)
        findings.append(finding)
        if len(findings) >= limit:
            break
    return findings


def _element_at(tree: etree._ElementTree, path: str | None) -> etree._Element | None:
    if not path:
        return None
    found = tree.xpath(path)
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def _finding(entry: etree._LogEntry, element: etree._Element | None) -> Finding:
    message = str(entry.message)
    match = _MESSAGE.match(message)
    name = match["name"] if match else "An element"
    detail = (match["detail"] if match else message).strip()
    expected_match = _EXPECTED.search(detail)
    expected = expected_match["expected"] if expected_match else ""
    value_match = _VALUE.search(detail)
    path = str(entry.path or "")
    kind = entry.type_name
    if kind == "SCHEMAV_ELEMENT_CONTENT" and detail.startswith("Missing child"):
        return Finding(
            ProblemCode.SCHEMA_MISSING_ELEMENT,
            f"{name} lacks an element the schema requires (expected {expected}).",
            element,
            path=path,
        )
    if kind == "SCHEMAV_ELEMENT_CONTENT":
        hint = f"; at this point the schema expects {expected}" if expected else ""
        return Finding(
            ProblemCode.SCHEMA_UNEXPECTED_ELEMENT,
            f"{name} is not where the schema places it, or appears more often than it allows"
            f"{hint}. Check the element's name, position and count.",
            element,
            path=path,
        )
    if kind == "SCHEMAV_CVC_MINLENGTH_VALID":
        return Finding(
            ProblemCode.SCHEMA_MISSING_ELEMENT,
            f"{name} is empty; the schema requires a value.",
            element,
            path=path,
        )
    if kind in _VALUE_ERRORS:
        value = f" {value_match['value']!r}" if value_match else ""
        return Finding(
            ProblemCode.SCHEMA_BAD_VALUE,
            f"{name} has the value{value}, which the schema does not allow there "
            f"({_plain(detail)}).",
            element,
            path=path,
        )
    return Finding(
        ProblemCode.SCHEMA_VIOLATION,
        f"{name} does not follow the edXML schema: {_plain(detail)}.",
        element,
        path=path,
    )


def _plain(detail: str) -> str:
    return detail.strip().rstrip(".")
