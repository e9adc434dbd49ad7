"""The hostile corpus: each attack is refused with its own code, reading nothing from disk or
network, with memory bounded well below the size of the input. How fast refusals are is measured
by benchmarks/hostile_refusal.py against a same-run baseline, not asserted here."""

from __future__ import annotations

import socket
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree

from envelopes.errors import EnvelopeError, Problem
from envelopes.namespaces import EDXML_NS
from envelopes.parsing import parse_packet, read_packet_bytes, validate
from envelopes.safe_parsing import _PARSER_OPTIONS, Limits, parse_tree, scan
from envelopes.spool import SpooledPacket
from tests.envelopes.fixture_files import HOSTILE, hostile, sample

MB = 1024 * 1024
ROOT = f'<edXML xmlns="{EDXML_NS}">'.encode()


def _refusal(data: bytes) -> Problem:
    with pytest.raises(EnvelopeError) as raised:
        parse_packet(data)
    return raised.value.problems[0]


def _peak(action: Callable[[], object]) -> int:
    """Peak bytes allocated by Python while running `action`."""
    tracemalloc.start()
    try:
        action()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("xxe-local-file.edxml", "EDXML_EXTERNAL_ENTITY_FORBIDDEN"),
        ("xxe-network.edxml", "EDXML_EXTERNAL_ENTITY_FORBIDDEN"),
        ("external-dtd.edxml", "EDXML_EXTERNAL_DTD_FORBIDDEN"),
        ("parameter-entity.edxml", "EDXML_PARAMETER_ENTITY_FORBIDDEN"),
        ("billion-laughs.edxml", "EDXML_ENTITY_EXPANSION_FORBIDDEN"),
        ("processing-instruction.edxml", "EDXML_PROCESSING_INSTRUCTION_FORBIDDEN"),
        ("undeclared-entity.edxml", "EDXML_ENTITY_FORBIDDEN"),
        ("malformed.edxml", "EDXML_MALFORMED"),
        ("manifest-mismatch.edxml", "EDXML_MANIFEST_MISMATCH"),
        ("bad-base64.edxml", "EDXML_BAD_BASE64"),
        ("wrong-namespace.edxml", "EDXML_WRONG_NAMESPACE"),
        ("unknown-status-code.edxml", "EDXML_UNKNOWN_STATUS_CODE"),
        ("qname-two-colons.edxml", "EDXML_NAMESPACE_INVALID"),
        ("undeclared-prefix.edxml", "EDXML_NAMESPACE_INVALID"),
        ("invalid-namespace-uri.edxml", "EDXML_NAMESPACE_INVALID"),
        ("comment-in-text.edxml", "EDXML_COMMENT_IN_TEXT"),
    ],
)
def test_static_corpus_is_refused_with_its_own_code(name: str, code: str) -> None:
    problems = validate(hostile(name))
    assert problems and {p.code for p in problems} == {code}, problems


def test_the_static_corpus_is_complete() -> None:
    assert len(list(HOSTILE.glob("*.edxml"))) == 16


def _xxe(url: str) -> bytes:
    document = sample("document-new.edxml").decode()
    body = document.split("\n", 1)[1].replace("<edXML:Subject>", "<edXML:Subject>&xxe;", 1)
    return f'<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "{url}">]>\n{body}'.encode()


def test_xxe_on_a_local_file_reads_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    data = _xxe(secret.as_uri())
    problems = validate(data)
    assert [p.code for p in problems] == ["EDXML_EXTERNAL_ENTITY_FORBIDDEN"]
    assert all("TOP-SECRET-MARKER" not in p.message for p in problems)
    # Defence in depth: even without the DOCTYPE refusal, the parser options resolve nothing.
    tree = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS))
    assert b"TOP-SECRET-MARKER" not in etree.tostring(tree)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP server on a free local port that records whether anything connected."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    yield server
    server.close()


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (_xxe, "EDXML_EXTERNAL_ENTITY_FORBIDDEN"),
        (
            lambda url: f'<!DOCTYPE edXML SYSTEM "{url}">'.encode() + ROOT + b"</edXML>",
            "EDXML_EXTERNAL_DTD_FORBIDDEN",
        ),
        (
            lambda url: f'<!DOCTYPE edXML [<!ENTITY % p SYSTEM "{url}"> %p;]>'.encode()
            + ROOT
            + b"</edXML>",
            "EDXML_PARAMETER_ENTITY_FORBIDDEN",
        ),
    ],
    ids=["external-entity", "external-dtd", "parameter-entity"],
)
def test_nothing_is_fetched_from_the_network(
    listener: socket.socket, build: Callable[[str], bytes], code: str
) -> None:
    port = listener.getsockname()[1]
    data = build(f"http://127.0.0.1:{port}/x")
    assert [p.code for p in validate(data)] == [code]
    etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS, recover=True))
    with pytest.raises(TimeoutError):
        listener.accept()


def test_ten_thousand_deep_nesting_is_refused_without_building_it() -> None:
    data = ROOT + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</edXML>"
    peak = _peak(lambda: validate(data))
    problem = _refusal(data)
    assert problem.code == "EDXML_TOO_DEEP"
    assert problem.location.path.count("/a") == 64  # edXML + 64 levels: the 65th is refused
    assert peak < 10 * len(data)


def test_a_ten_megabyte_attribute_is_refused() -> None:
    data = ROOT + b'<edXMLEnvelope note="' + b"a" * (10 * MB) + b'"/></edXML>'
    peak = _peak(lambda: validate(data))
    problem = _refusal(data)
    assert problem.code == "EDXML_ATTRIBUTE_TOO_LARGE"
    assert problem.location.path == "/edXML/edXMLEnvelope"
    assert peak < 2 * len(data)


def test_a_hundred_megabyte_body_is_refused_before_parsing() -> None:
    data = ROOT + b" " * (100 * MB) + b"</edXML>"
    peak = _peak(lambda: validate(data))
    assert _refusal(data).code == "EDXML_TOO_LARGE"
    assert peak < MB


def test_a_hundred_megabyte_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.edxml"
    with path.open("wb") as out:
        out.write(ROOT)
        out.truncate(100 * MB)  # sparse: the size is what matters
    peak = _peak(lambda: validate_file(path))
    assert peak < MB


def validate_file(path: Path) -> None:
    with pytest.raises(EnvelopeError) as raised:
        read_packet_bytes(path)
    assert raised.value.code == "EDXML_TOO_LARGE"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (ROOT + b"<a/>" * 100_001 + b"</edXML>", "EDXML_TOO_MANY_ELEMENTS"),
        (ROOT + b"<a " + b" ".join(b'x%d=""' % i for i in range(40)) + b"/></edXML>",
         "EDXML_TOO_MANY_ATTRIBUTES"),
        (ROOT + b"<a>" + b"x" * (2 * MB) + b"</a></edXML>", "EDXML_TEXT_TOO_LARGE"),
        (b'<edXML xmlns="urn:other"/>', "EDXML_WRONG_NAMESPACE"),
        (b"<edXML/>", "EDXML_WRONG_NAMESPACE"),
        (b"", "EDXML_MALFORMED"),
        (b"\x00\x01binary", "EDXML_MALFORMED"),
    ],
    ids=["elements", "attributes", "text", "foreign-root", "no-namespace-root", "empty", "binary"],
)  # fmt: skip
def test_other_bounds_are_refused(data: bytes, code: str) -> None:
    assert _refusal(data).code == code


def test_limits_are_configurable() -> None:
    data = sample("document-new.edxml")
    with pytest.raises(EnvelopeError) as raised:
        parse_packet(data, Limits(max_bytes=1000))
    assert raised.value.code == "EDXML_TOO_LARGE"
    with pytest.raises(EnvelopeError) as raised:
        parse_packet(data, Limits(max_depth=5))
    assert raised.value.code == "EDXML_TOO_DEEP"


def test_comments_between_elements_and_outside_the_root_are_accepted() -> None:
    """They change nothing a reader reads (see envelopes.safe_parsing)."""
    document = sample("document-new.edxml")
    commented = document.replace(b"<edXML:Subject>", b"<!-- subject -->\n<edXML:Subject>", 1)
    commented = commented.replace(b"</edXML>", b"</edXML>\n<!-- end -->", 1)
    assert validate(commented) == []


def test_the_tree_parse_never_disagrees_with_the_scan() -> None:
    """What `scan` accepts builds a tree; what it refuses never reaches the tree parse."""
    for name in ("qname-two-colons.edxml", "undeclared-prefix.edxml"):
        with pytest.raises(EnvelopeError) as refused:
            parse_tree(hostile(name), Limits())
        assert refused.value.code == "EDXML_NAMESPACE_INVALID"


def _scan_outcome(data: bytes | SpooledPacket) -> object:
    """What `scan` answers: the refusal (code, message, location), or the findings' codes."""
    try:
        scanned = scan(data, Limits())
    except EnvelopeError as error:
        return [(p.code, p.message, p.location) for p in error.problems]
    return sorted(str(f.code) for f in scanned.findings)


@pytest.mark.parametrize(
    "data",
    [hostile(p.name) for p in sorted(HOSTILE.glob("*.edxml"))]
    + [
        ROOT + b"<a/>" * 100_001 + b"</edXML>",
        ROOT + b"<a>" + b"x" * (2 * MB) + b"</a></edXML>",
        b"",
        b"\x00\x01binary",
    ],
    ids=[p.name for p in sorted(HOSTILE.glob("*.edxml"))] + ["elements", "text", "empty", "binary"],
)
def test_a_spooled_packet_is_scanned_exactly_as_its_bytes(data: bytes) -> None:
    """A body above the spooling size is read from its spool in slices (`envelopes.spool`):
    every refusal and finding is the same, word for word."""
    assert _scan_outcome(SpooledPacket.of(data)) == _scan_outcome(data)
