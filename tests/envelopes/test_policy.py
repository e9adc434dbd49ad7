"""The acceptance policy: every problem code has one severity and a reason, and the README's
table says the same."""

from __future__ import annotations

import re
from pathlib import Path

from envelopes.policy import RULES, Severity, is_error
from envelopes.problem_codes import ProblemCode

README = Path(__file__).parents[2] / "README.md"


def test_every_problem_code_is_an_error_or_a_finding_with_a_reason() -> None:
    assert set(RULES) == set(ProblemCode)
    assert all(reason.strip() for _, reason in RULES.values())


def test_the_rules_that_protect_security_and_routing_refuse() -> None:
    for code in (
        ProblemCode.EXTERNAL_ENTITY_FORBIDDEN, ProblemCode.NAMESPACE_INVALID,
        ProblemCode.COMMENT_IN_TEXT, ProblemCode.MISSING_ELEMENT, ProblemCode.DOCUMENT_ID_INVALID,
        ProblemCode.MANIFEST_MISMATCH, ProblemCode.BAD_BASE64, ProblemCode.WRONG_NAMESPACE,
    ):  # fmt: skip
        assert is_error(code), code
    for code in (
        ProblemCode.REFERENCED_DOCUMENT_ID_INVALID, ProblemCode.BUSINESS_DOCUMENT_ID_MISSING,
        ProblemCode.REFERENCED_DOCUMENT_ID_SENDER_MISMATCH, ProblemCode.SCHEMA_VIOLATION,
    ):  # fmt: skip
        assert not is_error(code), code


def test_a_code_from_outside_the_envelopes_is_an_error() -> None:
    assert is_error("SIGNATURE_DIGEST_MISMATCH")


def test_the_readme_table_is_the_policy() -> None:
    rows = re.findall(r"^\| `(EDXML_[A-Z0-9_]+)` \| (error|finding) \|", README.read_text(), re.M)
    assert dict(rows) == {code.value: RULES[code][0].value for code in ProblemCode}
    assert {severity for _, severity in rows} == {s.value for s in Severity}
