"""Each kind of DOCTYPE attack is named by its own code, from a scan that never parses it."""

from __future__ import annotations

import pytest

from envelopes.doctype import classify_doctype
from envelopes.problem_codes import ProblemCode

ROOT = b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>'


@pytest.mark.parametrize(
    ("doctype", "code"),
    [
        (b"<!DOCTYPE edXML>", ProblemCode.DTD_FORBIDDEN),
        (b'<!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/e.dtd">', ProblemCode.EXTERNAL_DTD_FORBIDDEN),
        (b'<!DOCTYPE edXML PUBLIC "-//X//Y" "e.dtd">', ProblemCode.EXTERNAL_DTD_FORBIDDEN),
        (b'<!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
         ProblemCode.EXTERNAL_ENTITY_FORBIDDEN),
        (b"<!DOCTYPE edXML [<!ENTITY x PUBLIC 'p' 'http://h/x'>]>",
         ProblemCode.EXTERNAL_ENTITY_FORBIDDEN),
        (b'<!DOCTYPE edXML [<!ENTITY % p SYSTEM "http://h/p"> %p;]>',
         ProblemCode.PARAMETER_ENTITY_FORBIDDEN),
        (b'<!DOCTYPE edXML [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;">]>',
         ProblemCode.ENTITY_EXPANSION_FORBIDDEN),
        (b"<!DOCTYPE edXML [<!ENTITY a 'x'><!ENTITY b '&a;&a;'>]>",
         ProblemCode.ENTITY_EXPANSION_FORBIDDEN),
        (b'<!DOCTYPE edXML [<!ENTITY copy "(c)">]>', ProblemCode.ENTITY_DECLARATION_FORBIDDEN),
    ],
)  # fmt: skip
def test_each_attack_has_its_code_and_a_sentence(doctype: bytes, code: ProblemCode) -> None:
    found, message = classify_doctype(b'<?xml version="1.0"?>\n' + doctype + b"\n" + ROOT)
    assert found is code
    assert message.endswith("edXML packets carry no DTD.")


def test_a_huge_internal_subset_is_only_scanned_up_to_the_limit() -> None:
    padding = b" " * (200 * 1024)
    late = b"<!DOCTYPE edXML [" + padding + b'<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    code, _ = classify_doctype(late + ROOT)
    assert code is ProblemCode.DTD_FORBIDDEN  # what is beyond the scanned prefix is not read
