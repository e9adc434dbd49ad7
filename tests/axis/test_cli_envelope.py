"""`axis envelope validate` and `axis envelope inspect`, run through Typer's CliRunner."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from axis.cli.envelope import app
from tests.envelopes.fixture_files import HOSTILE, SAMPLES

FIXTURES = SAMPLES[0].parent
runner = CliRunner()


def test_validate_prints_ok_for_every_sample() -> None:
    result = runner.invoke(app, ["validate", *map(str, SAMPLES)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{path}: OK" for path in SAMPLES]


def test_validate_prints_one_line_per_problem_and_exits_1() -> None:
    bad = HOSTILE / "manifest-mismatch.edxml"
    good = FIXTURES / "revoke.edxml"
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{good}: OK"
    assert len(lines) == 3
    manifest = "/edXML/edXMLEnvelope/edXMLBody/edXMLManifest/Reference"
    assert lines[1].startswith(f"{bad}: EDXML_MANIFEST_MISMATCH line 92 {manifest} ")


def test_validate_json_lists_every_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.edxml"
    bad = HOSTILE / "xxe-local-file.edxml"
    result = runner.invoke(app, ["validate", "--json", str(SAMPLES[0]), str(bad), str(missing)])
    assert result.exit_code == 1
    records = json.loads(result.output)
    assert [(r["file"], r["valid"]) for r in records] == [
        (str(SAMPLES[0]), True),
        (str(bad), False),
        (str(missing), False),
    ]
    assert records[0]["errors"] == []
    assert [e["code"] for e in records[1]["errors"]] == ["EDXML_EXTERNAL_ENTITY_FORBIDDEN"]
    assert [e["code"] for e in records[2]["errors"]] == ["EDXML_FILE_UNREADABLE"]
    assert set(records[2]["errors"][0]) == {"code", "severity", "location", "message"}
    assert records[2]["errors"][0]["severity"] == "error" and records[0]["findings"] == []


def test_an_unreadable_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{tmp_path}: EDXML_FILE_UNREADABLE" in result.output


def _expected_attachments(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    encoded = re.findall(r"<(?:\w+:)?ContentTransferEncoded[^>]*>([^<]*)</", text)
    decoded = [base64.b64decode("".join(e.split())) for e in encoded]
    return [(len(d), hashlib.sha256(d).hexdigest()) for d in decoded]


def test_inspect_json_reports_a_document() -> None:
    path = FIXTURES / "update-recipients.edxml"
    result = runner.invoke(app, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert list(summary) == [
        "kind", "document_id", "from", "to", "business_type", "status_code", "response_for",
        "attachments", "signature_present",
    ]  # fmt: skip
    assert summary["kind"] == "document"
    assert summary["document_id"] == "000.00.12.H53,2025/07/02,118/SKHCN-CDS"
    assert summary["from"] == "000.00.12.H53"
    assert summary["to"] == ["000.00.00.G22", "000.00.00.H41"]
    assert summary["business_type"] == "update"
    assert summary["status_code"] is None
    assert summary["signature_present"] is False
    assert [(a["size"], a["sha256"]) for a in summary["attachments"]] == _expected_attachments(path)
    assert summary["attachments"][0]["content_id"] == "cid:1"
    assert summary["attachments"][0]["name"] == "bao-cao.txt"
    assert summary["attachments"][0]["content_type"] == "text/plain"


def test_inspect_json_reports_the_legacy_signature() -> None:
    result = runner.invoke(app, ["inspect", str(FIXTURES / "legacy-quirks.edxml"), "--json"])
    summary = json.loads(result.output)
    assert summary["signature_present"] is True
    assert summary["business_type"] == "new"


def test_inspect_json_reports_a_status() -> None:
    result = runner.invoke(app, ["inspect", str(FIXTURES / "status-03-accepted.edxml"), "--json"])
    summary = json.loads(result.output)
    assert summary["kind"] == "status"
    assert summary["status_code"] == "03"
    assert summary["from"] == "000.00.00.H41"
    assert summary["response_for"] == ["000.00.12.H53,2025/07/02,118/SKHCN-CDS"]
    assert summary["attachments"] == []


def test_inspect_without_json_prints_a_table() -> None:
    result = runner.invoke(app, ["inspect", str(FIXTURES / "revoke.edxml")])
    assert result.exit_code == 0
    assert "revoke" in result.output
    assert "000.00.12.H53,2025/07/03,121/SKHCN-CDS" in result.output
    assert "bao-cao.txt" in result.output


def test_inspect_of_an_invalid_packet_prints_its_problems() -> None:
    result = runner.invoke(app, ["inspect", str(HOSTILE / "bad-base64.edxml")])
    assert result.exit_code == 1
    assert "EDXML_BAD_BASE64" in result.output


def test_validate_refuses_what_no_tree_can_hold_without_a_traceback() -> None:
    """Each of these crashed `validate` or made it print OK for a packet submission refused."""
    names = ["qname-two-colons.edxml", "undeclared-prefix.edxml", "invalid-namespace-uri.edxml"]
    result = runner.invoke(app, ["validate", *(str(HOSTILE / name) for name in names)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert len(lines) == 3 and all(" EDXML_NAMESPACE_INVALID line " in line for line in lines)
    assert "Traceback" not in result.output


def test_validate_reports_findings_and_exits_0_for_them() -> None:
    """The real-world quirks are accepted: OK, then one `finding` line each."""
    quirks = sorted((FIXTURES.parent / "quirks").glob("*.edxml"))
    result = runner.invoke(app, ["validate", *map(str, quirks)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line for line in lines if line.endswith(": OK")] == [f"{q}: OK" for q in quirks]
    findings = [line for line in lines if ": finding EDXML_" in line]
    assert len(findings) == len(quirks)
    records = json.loads(runner.invoke(app, ["validate", "--json", *map(str, quirks)]).output)
    assert all(r["valid"] and r["errors"] == [] and len(r["findings"]) == 1 for r in records)
