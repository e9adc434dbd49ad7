"""`axis keys dev-pki`, `axis sign` and `axis verify` as the README shows them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.envelopes.fixture_files import FIXTURES
from tests.support.cli import run_axis as axis

H53 = "000.00.12.H53"
G22 = "000.00.00.G22"
SAMPLE = FIXTURES / "edxml" / "document-new.edxml"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {**os.environ, "AXIS_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    values.pop("AXIS_CONFIG", None)
    return values


@pytest.fixture
def pki(tmp_path: Path, env: dict[str, str]) -> Path:
    directory = tmp_path / "pki"
    made = axis(["keys", "dev-pki", str(directory), "--org", H53, "--org", G22], env)
    assert made.returncode == 0, made.stderr
    return directory


def test_dev_pki_writes_a_ca_and_a_certificate_and_key_per_code(pki: Path) -> None:
    names = sorted(p.name for p in pki.iterdir())
    assert names == sorted(["ca.pem", "ca.key", f"{H53}.pem", f"{H53}.key", f"{G22}.pem",
                            f"{G22}.key"])  # fmt: skip
    assert (pki / f"{H53}.key").stat().st_mode & 0o077 == 0  # private keys: owner only


def test_dev_pki_adds_codes_to_a_directory_with_the_same_ca(pki: Path, env: dict[str, str]) -> None:
    ca = (pki / "ca.pem").read_bytes()
    assert axis(["keys", "dev-pki", str(pki), "--org", "000.00.00.H41"], env).returncode == 0
    assert (pki / "ca.pem").read_bytes() == ca
    assert (pki / "000.00.00.H41.pem").exists()


def test_dev_pki_refuses_a_code_that_is_a_path(tmp_path: Path, env: dict[str, str]) -> None:
    refused = axis(["keys", "dev-pki", str(tmp_path / "x"), "--org", "../escape"], env)
    assert refused.returncode == 1
    assert "TRUST_BAD_CODE" in refused.stderr


def test_sign_then_verify_prints_the_signers_code_and_subject(
    tmp_path: Path, pki: Path, env: dict[str, str]
) -> None:
    out = tmp_path / "signed.edxml"
    signing = axis(["sign", str(SAMPLE), "--key", str(pki / f"{H53}.key"),
                    "--cert", str(pki / f"{H53}.pem"), "-o", str(out)], env)  # fmt: skip
    assert signing.returncode == 0, signing.stderr
    checked = axis(["verify", str(out), "--trust", str(pki)], env)
    assert checked.returncode == 0, checked.stderr
    assert f"OK signed for {H53}" in checked.stdout
    assert f"UID={H53}" in checked.stdout
    as_json = axis(["verify", str(out), "--trust", str(pki), "--json"], env)
    report = json.loads(as_json.stdout)
    assert report["valid"] is True
    assert report["signer"]["code"] == H53
    assert report["algorithm"].endswith("#rsa-sha256")
    assert report["document_id"] == "000.00.12.H53,2025/07/02,118/SKHCN-CDS"


def test_verify_exits_1_with_the_code_and_reason(
    tmp_path: Path, pki: Path, env: dict[str, str]
) -> None:
    out = tmp_path / "signed.edxml"
    axis(["sign", str(SAMPLE), "--key", str(pki / f"{G22}.key"),
          "--cert", str(pki / f"{G22}.pem"), "-o", str(out)], env)  # fmt: skip
    checked = axis(["verify", str(out), "--trust", str(pki)], env)
    assert checked.returncode == 1
    assert "SIGNATURE_NOT_AUTHORIZED" in checked.stderr
    as_json = json.loads(axis(["verify", str(out), "--trust", str(pki), "--json"], env).stdout)
    assert as_json["valid"] is False
    assert as_json["error"]["code"] == "SIGNATURE_NOT_AUTHORIZED"


def test_verify_reports_an_unsigned_packet(pki: Path, env: dict[str, str]) -> None:
    checked = axis(["verify", str(SAMPLE), "--trust", str(pki)], env)
    assert checked.returncode == 1
    assert "SIGNATURE_MISSING" in checked.stderr


def test_sign_refuses_a_key_that_is_not_the_certificates(
    tmp_path: Path, pki: Path, env: dict[str, str]
) -> None:
    refused = axis(["sign", str(SAMPLE), "--key", str(pki / f"{G22}.key"),
                    "--cert", str(pki / f"{H53}.pem"), "-o", str(tmp_path / "x")], env)  # fmt: skip
    assert refused.returncode == 1
    assert "SIGNATURE_KEY_UNSUITABLE" in refused.stderr
    assert not (tmp_path / "x").exists()
