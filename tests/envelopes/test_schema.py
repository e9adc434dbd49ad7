"""The shipped XSD: packaged, compiled, consistent with the samples, its errors mapped to codes."""

from __future__ import annotations

from importlib.resources import files

from envelopes.parsing import validate
from envelopes.safe_parsing import Limits, scan
from envelopes.schema import edxml_schema, schema_findings
from tests.envelopes.fixture_files import SAMPLES, sample


def test_the_schema_ships_as_package_data_and_documents_its_choices() -> None:
    text = files("envelopes.schema").joinpath("edxml.xsd").read_text(encoding="utf-8")
    assert "NORMALIZED TREE" in text
    assert edxml_schema() is edxml_schema()  # compiled once


def test_every_sample_is_valid_against_the_schema_alone() -> None:
    for path in SAMPLES:
        root = scan(path.read_bytes(), Limits()).root
        assert schema_findings(root, 100) == [], path.name


def test_a_schema_only_problem_is_reported_with_a_code_and_path() -> None:
    data = sample("document-new.edxml").replace(
        b"<edXML:TypeName>", b"<edXML:TypeNam>x</edXML:TypeNam><edXML:TypeName>"
    )
    (problem,) = validate(data)
    assert problem.code == "EDXML_SCHEMA_UNEXPECTED_ELEMENT"
    assert problem.severity == "finding"  # the schema's complaints never refuse a packet
    assert problem.location.path.endswith("/MessageHeader/DocumentType/TypeNam")
    assert problem.location.line == data[: data.index(b"<edXML:TypeNam>")].count(b"\n") + 1


def test_stray_text_is_a_schema_violation() -> None:
    data = sample("document-new.edxml").replace(b"<edXML:Code>", b"<edXML:Code>stray")
    (problem,) = validate(data)
    assert problem.code == "EDXML_SCHEMA_VIOLATION"
    assert problem.location.path.endswith("/MessageHeader/Code")
