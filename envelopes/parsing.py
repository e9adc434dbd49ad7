"""Parsing and validating edXML packets: the public entry points, from bytes or from a file.

A packet goes through three checks, and every problem they find is reported at once:
the hardened pass (`safe_parsing`: refuses hostile or malformed bytes outright, decodes
attachments), the model reader (`reading`: kinds, required elements, values, DocumentIds,
manifest) and the schema (`schema/edxml.xsd`: names, places and forms of elements).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lxml import etree

from envelopes.errors import EnvelopeError, Location, Problem
from envelopes.findings import Finding
from envelopes.model import Packet
from envelopes.policy import is_error
from envelopes.problem_codes import ProblemCode
from envelopes.reading import read_packet
from envelopes.safe_parsing import Limits, ScannedPacket, element_lines, scan
from envelopes.schema import schema_findings

DEFAULT_LIMITS = Limits()
MAX_PROBLEMS = 100
"""Problems listed for one packet: a hostile one could otherwise have a hundred thousand."""

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "parse_packet",
    "read_packet_bytes",
    "read_packet_file",
    "validate",
]


def parse_packet(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Packet:
    """The packet in `data`; raises `EnvelopeError` with every problem found (errors first) if
    any is an error. Findings (envelopes.policy) ride on the packet as `findings`.

    The packet keeps `data` itself (no copy) as `raw`, for signature verification.
    """
    return read_scanned(scan(data, limits), data)


def read_scanned(scanned: ScannedPacket, data: bytes) -> Packet:
    """The packet `scan` found in `data` (see `parse_packet`); `data` must be what `scanned`
    holds, element for element (lines of problems are found in it)."""
    packet, model_findings = read_packet(scanned, data)
    findings = _merge(
        scanned.findings + model_findings, schema_findings(scanned.root, MAX_PROBLEMS)
    )
    errors = [finding for finding in findings if is_error(finding.code)]
    if packet is None or errors:
        raise EnvelopeError(_problems(findings, scanned.root, data))
    if not findings:
        return packet
    return dataclasses.replace(packet, findings=tuple(_problems(findings, scanned.root, data)))


def without_signature(scanned: ScannedPacket) -> ScannedPacket:
    """`scanned` (changed in place) without the element ending edXMLEnvelope/edXMLHeader when
    it is a Signature: what an enveloped signature standing there covers. For a verifier that
    has checked that the packet's one XML-DSig Signature stands there (`signing.shape`)."""
    for envelope in scanned.root:
        if envelope.tag != "edXMLEnvelope":
            continue
        for header in envelope:
            if header.tag == "edXMLHeader" and len(header) and header[-1].tag == "Signature":
                header.remove(header[-1])
    return scanned


def validate(data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[Problem]:
    """Every problem of the packet in `data`, errors and findings (see `Problem.severity`);
    empty when there is none."""
    try:
        packet = parse_packet(data, limits)
    except EnvelopeError as error:
        return list(error.problems)
    return list(packet.findings)


def read_packet_bytes(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a packet file, refused by size before they are read."""
    try:
        limits.check_size(path.stat().st_size)
        return path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise EnvelopeError(
            Problem(
                ProblemCode.FILE_UNREADABLE,
                f"The file {path} cannot be read ({reason}). Check the name and permissions.",
            )
        ) from error


def read_packet_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> Packet:
    """The packet in a file (see `parse_packet`)."""
    return parse_packet(read_packet_bytes(path, limits), limits)


def _merge(model: list[Finding], schema: list[Finding]) -> list[Finding]:
    """Model findings, plus the schema findings that say something the model did not.

    The model reader speaks more precisely (its own codes and sentences), so a schema complaint
    about an element it already reported on, or about a missing child it already named, is
    dropped rather than said twice.
    """
    reported = {
        (finding.element, finding.child) for finding in model if finding.element is not None
    }
    missing_in = {
        finding.element for finding in model if finding.code in _MISSING and finding.child
    }
    extra = [
        finding
        for finding in schema
        if (finding.element, "") not in reported
        and not (
            finding.code is ProblemCode.SCHEMA_MISSING_ELEMENT and finding.element in missing_in
        )
    ]
    return model + extra


_MISSING = frozenset(
    {ProblemCode.MISSING_ELEMENT, ProblemCode.MISSING_INFORMATION, ProblemCode.RECEIVER_INVALID}
)


def _problems(findings: list[Finding], root: etree._Element, data: bytes) -> list[Problem]:
    """The first MAX_PROBLEMS findings as problems, errors first, with source lines."""
    order = {element: index for index, element in enumerate(root.iter())}

    def position(finding: Finding) -> int:
        return order.get(finding.element, -1) if finding.element is not None else -1

    # Errors first (the first problem says why a packet is refused), each in document order.
    ordered = sorted(findings, key=lambda finding: (not is_error(finding.code), position(finding)))
    listed = ordered[:MAX_PROBLEMS]
    lines = element_lines(data, {position(f) for f in listed} - {-1})
    problems = [
        Problem(f.code, f.message, Location(lines.get(position(f)), f.location_path))
        for f in listed
    ]
    if len(ordered) > len(listed):
        problems.append(
            Problem(
                ProblemCode.TOO_MANY_PROBLEMS,
                f"{len(ordered) - len(listed):,} more problems are not listed; "
                "fix the ones above and validate again.",
            )
        )
    return problems
