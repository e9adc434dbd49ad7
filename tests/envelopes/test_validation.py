"""Validation: every problem of a packet at once, each with its code, line, path and sentence."""

from __future__ import annotations

import pytest

from envelopes.errors import EnvelopeError, Problem
from envelopes.model import DocumentPacket
from envelopes.parsing import parse_packet, validate
from envelopes.policy import is_error
from envelopes.problem_codes import ProblemCode
from tests.envelopes.fixture_files import sample

HEADER = "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader"
BUSINESS = "/edXML/edXMLEnvelope/edXMLHeader/TraceHeaderList/Bussiness"


def _mutate(name: str, *replacements: tuple[str, str]) -> bytes:
    text = sample(name).decode()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.encode()


def _document(*replacements: tuple[str, str]) -> bytes:
    return _mutate("document-new.edxml", *replacements)


def _status(*replacements: tuple[str, str]) -> bytes:
    return _mutate("status-03-accepted.edxml", *replacements)


def _codes_and_paths(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.code, p.location.path) for p in problems]


def test_reports_all_problems_not_just_the_first() -> None:
    data = _document(
        ("<edXML:OrganId>000.00.00.H41</edXML:OrganId>", "<edXML:OrganId/>"),
        ("<edXML:DueDate>2025/07/10", "<edXML:DueDate>2025/13/10"),
        ("<edXML:BussinessDocType>0", "<edXML:BussinessDocType>7"),
        ("<ContentId>cid:1</ContentId>", "<ContentId>cid:2</ContentId>"),
        ("<edXML:Email>sokhcn@example.gov.vn</edXML:Email>", "<edXML:Mail/>"),
        (
            "<edXML:DocumentId>000.00.12.H53,2025/07/02,118/SKHCN-CDS</edXML:DocumentId>",
            "<edXML:DocumentId>000.00.12.H53,2025/7/2,118</edXML:DocumentId>",
        ),
    )
    with pytest.raises(EnvelopeError) as raised:
        parse_packet(data)
    problems = list(raised.value.problems)
    assert problems == validate(data)
    # Errors first (why the packet is refused), then the findings reported with them.
    assert [(p.code, p.location.path, p.severity) for p in problems] == [
        ("EDXML_MISSING_ELEMENT", f"{HEADER}/To[2]/OrganId", "error"),
        ("EDXML_DOCUMENT_ID_INVALID", f"{HEADER}/DocumentId", "error"),
        ("EDXML_UNKNOWN_BUSINESS_TYPE", f"{BUSINESS}/BussinessDocType", "error"),
        ("EDXML_MANIFEST_MISMATCH", "/edXML/edXMLEnvelope/edXMLBody/edXMLManifest/Reference",
         "error"),
        ("EDXML_MANIFEST_MISMATCH", "/edXML/AttachmentEncoded/Attachment", "error"),
        ("EDXML_SCHEMA_UNEXPECTED_ELEMENT", f"{HEADER}/From/Mail", "finding"),
        ("EDXML_BAD_DATE", f"{HEADER}/DueDate", "finding"),
    ]  # fmt: skip
    assert all(p.location.line is not None and p.location.line > 1 for p in problems)
    assert all(p.message.endswith(".") and len(p.message) > 30 for p in problems)
    assert raised.value.code == "EDXML_MISSING_ELEMENT"


def test_a_problem_shows_its_line_and_path() -> None:
    (problem,) = validate(_document(("<edXML:DueDate>2025/07/10", "<edXML:DueDate>tomorrow")))
    assert str(problem.location) == f"line 57 {HEADER}/DueDate"
    assert problem.as_dict()["code"] == "EDXML_BAD_DATE"


@pytest.mark.parametrize(
    ("replacement", "code", "path", "closing"),
    [
        (
            ("<edXML:Subject>", "<edXML:Subjct>"),
            "EDXML_MISSING_INFORMATION",
            f"{HEADER}/Subject",
            ("</edXML:Subject>", "</edXML:Subjct>"),
        ),
        (
            ("<edXML:PromulgationDate>2025/07/02", "<edXML:PromulgationDate>2025/02/30"),
            "EDXML_BAD_DATE",
            f"{HEADER}/PromulgationInfo/PromulgationDate",
            ("", ""),
        ),
        (
            ("<edXML:DocumentId>000.00.12.H53,", "<edXML:DocumentId>000.00.00.G22,"),
            "EDXML_DOCUMENT_ID_SENDER_MISMATCH",
            f"{HEADER}/DocumentId",
            ("", ""),
        ),
        (
            ("<edXML:DocumentId>000.00.12.H53,2025/07/02,118/SKHCN-CDS", "<edXML:DocumentId>x"),
            "EDXML_DOCUMENT_ID_INVALID",
            f"{HEADER}/DocumentId",
            ("", ""),
        ),
        (
            ("<edXML:Priority>1", "<edXML:Priority>9"),
            "EDXML_BAD_VALUE",
            f"{HEADER}/OtherInfo/Priority",
            ("", ""),
        ),
        (
            ("<edXML:Direction>false", "<edXML:Direction>maybe"),
            "EDXML_BAD_VALUE",
            f"{HEADER}/OtherInfo/Direction",
            ("", ""),
        ),
        (
            ("<edXML:PageAmount>2", "<edXML:PageAmount>two"),
            "EDXML_BAD_VALUE",
            f"{HEADER}/OtherInfo/PageAmount",
            ("", ""),
        ),
        (
            ("<edXML:Subject>", '<x:Subject xmlns:x="urn:other">'),
            "EDXML_WRONG_NAMESPACE",
            f"{HEADER}/Subject",
            ("</edXML:Subject>", "</x:Subject>"),
        ),
        (
            ("</edXML:Subject>", "</edXML:Subject><edXML:Subject>Again</edXML:Subject>"),
            "EDXML_REPEATED_ELEMENT",
            f"{HEADER}/Subject[2]",
            ("", ""),
        ),
        (
            ("<edXML:Content>", "<edXML:StatusCode>03</edXML:StatusCode><edXML:Content>"),
            "EDXML_UNEXPECTED_ELEMENT",
            f"{HEADER}/To[1]",
            ("", ""),
        ),
        (
            ("<edXML:BussinessDocType>0", "<edXML:BussinessDocType>3"),
            "EDXML_MISSING_INFORMATION",
            f"{BUSINESS}/ReplacementInfoList",
            ("", ""),
        ),
        (
            ('<edXML:edXMLManifest version="1.0">', '<edXML:edXMLManifest version="1.0" id="x">'),
            "EDXML_SCHEMA_VIOLATION",
            "/edXML/edXMLEnvelope/edXMLBody/edXMLManifest",
            ("", ""),
        ),
        (
            ("<edXML:OrganName>Sở", "<edXML:Unknown/><edXML:OrganName>Sở"),
            "EDXML_SCHEMA_UNEXPECTED_ELEMENT",
            f"{HEADER}/From/Unknown",
            ("", ""),
        ),
    ],
)
def test_each_defect_has_its_own_code_and_place(
    replacement: tuple[str, str], code: str, path: str, closing: tuple[str, str]
) -> None:
    data = _document(replacement, closing)
    problems = validate(data)
    assert (code, path) in _codes_and_paths(problems), problems
    # An error refuses the packet; a packet with findings only is read, and carries them.
    if is_error(code):
        with pytest.raises(EnvelopeError):
            parse_packet(data)
    else:
        assert (code, path) in _codes_and_paths(list(parse_packet(data).findings))


def test_a_revoke_without_its_document_id_is_accepted_with_a_finding() -> None:
    data = _mutate(
        "revoke.edxml",
        ("<edXML:DocumentId>000.00.12.H53,2025/07/02,118/SKHCN-CDS</edXML:DocumentId>\n", ""),
    )
    packet = parse_packet(data)
    assert _codes_and_paths(list(packet.findings)) == [
        ("EDXML_BUSINESS_DOCUMENT_ID_MISSING", BUSINESS)
    ]
    assert isinstance(packet, DocumentPacket) and packet.business.document_id is None


@pytest.mark.parametrize(
    ("replacement", "code", "path"),
    [
        (("<edXML:StatusCode>03", "<edXML:StatusCode>99"), "EDXML_UNKNOWN_STATUS_CODE",
         f"{HEADER}/StatusCode"),
        (("<edXML:Timestamp>2025/07/02 14:05:11", "<edXML:Timestamp>2025/07/02"),
         "EDXML_BAD_DATE", f"{HEADER}/Timestamp"),
        (("<edXML:Timestamp>2025/07/02 14:05:11</edXML:Timestamp>", ""),
         "EDXML_MISSING_INFORMATION", f"{HEADER}/Timestamp"),
        (("<edXML:DocumentId>000.00.12.H53", "<edXML:DocumentId>000.00.00.H41"),
         "EDXML_REFERENCED_DOCUMENT_ID_SENDER_MISMATCH", f"{HEADER}/ResponseFor/DocumentId"),
        (("000.00.12.H53,2025/07/02,118", "000.00.12.H53,2025/02/30,118"),
         "EDXML_DOCUMENT_ID_INVALID", f"{HEADER}/ResponseFor/DocumentId"),
        (("<edXML:StatusCode>", "<edXML:To><edXML:OrganId>a</edXML:OrganId></edXML:To>"
          "<edXML:StatusCode>"), "EDXML_UNEXPECTED_ELEMENT", f"{HEADER}/To"),
        (("</edXML:edXMLEnvelope>", "</edXML:edXMLEnvelope><AttachmentEncoded><Attachment>"
          "<ContentId>cid:1</ContentId><ContentTransferEncoded>QQ==</ContentTransferEncoded>"
          "</Attachment></AttachmentEncoded>"), "EDXML_UNEXPECTED_ELEMENT",
         "/edXML/AttachmentEncoded/Attachment"),
    ],
)  # fmt: skip
def test_status_packet_defects(replacement: tuple[str, str], code: str, path: str) -> None:
    data = _status(replacement)
    assert (code, path) in _codes_and_paths(validate(data))
    if is_error(code):
        with pytest.raises(EnvelopeError):
            parse_packet(data)
    else:
        assert (code, path) in _codes_and_paths(list(parse_packet(data).findings))


def test_a_schema_complaint_is_not_repeated_after_a_model_problem() -> None:
    problems = validate(_document(("<edXML:OrganId>000.00.12.H53</edXML:OrganId>", "")))
    assert _codes_and_paths(problems) == [("EDXML_MISSING_ELEMENT", f"{HEADER}/From/OrganId")]


def test_the_list_of_problems_is_bounded() -> None:
    flood = "<edXML:Subject>x</edXML:Subject>" * 500
    problems = validate(_document(("<edXML:Content>", flood + "<edXML:Content>")))
    assert len(problems) == 101
    assert problems[-1].code == ProblemCode.TOO_MANY_PROBLEMS
