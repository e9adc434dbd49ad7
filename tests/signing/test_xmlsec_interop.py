"""Interoperability with an independent XML-DSig implementation, xmlsec1 (libxmlsec1, Debian
package `xmlsec1`, installed by scripts/install-prereqs): it accepts what the node signs, and the
node accepts what it signs from a template. Both must also agree on what is not valid."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from signing.algorithms import AlgorithmPolicy
from signing.errors import SignatureCode, SignatureError
from tests.envelopes.fixture_files import sample
from tests.support.pki import H53, NOW, Pki, signed

XMLSEC1 = shutil.which("xmlsec1") or "xmlsec1"
VERIFICATION_TIME = NOW.strftime("%Y-%m-%d %H:%M:%S")
"""xmlsec1 checks certificates at this time, the one the test PKI is built around."""

TEMPLATE = """<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
        <SignedInfo>
          <CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
          <SignatureMethod Algorithm="{signature}"/>
          <Reference URI="">
            <Transforms>
              <Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
              <Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
            </Transforms>
            <DigestMethod Algorithm="{digest}"/>
            <DigestValue/>
          </Reference>
        </SignedInfo>
        <SignatureValue/>
        <KeyInfo>
          <X509Data>
            <X509Certificate/>
          </X509Data>
        </KeyInfo>
      </Signature>
    """
RSA_SHA256 = ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
              "http://www.w3.org/2001/04/xmlenc#sha256")  # fmt: skip
RSA_SHA1 = ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1")


def xmlsec1(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([XMLSEC1, *args], capture_output=True, text=True, timeout=60, check=False)


def xmlsec1_verifies(path: Path, ca: Path) -> subprocess.CompletedProcess[str]:
    return xmlsec1("--verify", "--trusted-pem", str(ca), "--verification-time",
                   VERIFICATION_TIME, str(path))  # fmt: skip


def xmlsec1_signs(tmp_path: Path, pki: Pki, algorithms: tuple[str, str]) -> bytes:
    """The document sample signed by xmlsec1 from a template, with H53's key."""
    unsigned = sample("document-new.edxml").decode()
    template = TEMPLATE.format(signature=algorithms[0], digest=algorithms[1])
    closing = "</edXML:edXMLHeader>"
    assert unsigned.count(closing) == 1
    template_path = tmp_path / "template.edxml"
    template_path.write_text(unsigned.replace(closing, template + closing), encoding="utf-8")
    certificate, key = pki.write(tmp_path, "h53", pki.h53)
    output = tmp_path / "xmlsec1-signed.edxml"
    result = xmlsec1("--sign", "--privkey-pem", f"{key},{certificate}",
                     "--output", str(output), str(template_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    return output.read_bytes()


@pytest.fixture(scope="module", autouse=True)
def xmlsec1_is_installed() -> None:
    # Not a skip: the interoperability check is part of the suite, so its tool must be there.
    assert shutil.which("xmlsec1"), "xmlsec1 is missing: run scripts/install-prereqs"


@pytest.mark.parametrize("signer", ["h53", "h53_ec"])
def test_xmlsec1_accepts_what_the_node_signs(tmp_path: Path, pki: Pki, signer: str) -> None:
    path = tmp_path / "signed.edxml"
    path.write_bytes(signed(sample("document-new.edxml"), getattr(pki, signer)))
    ca, _ = pki.write(tmp_path, "ca", pki.ca)
    result = xmlsec1_verifies(path, ca)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout + result.stderr


def test_xmlsec1_refuses_what_the_node_signed_once_it_is_changed(tmp_path: Path, pki: Pki) -> None:
    data = signed(sample("document-new.edxml"), pki.h53)
    path = tmp_path / "tampered.edxml"
    path.write_bytes(data.replace("Báo cáo tình hình".encode(), "Báo cáo giả".encode(), 1))
    ca, _ = pki.write(tmp_path, "ca", pki.ca)
    assert xmlsec1_verifies(path, ca).returncode != 0


def test_the_node_accepts_what_xmlsec1_signs_from_a_template(tmp_path: Path, pki: Pki) -> None:
    data = xmlsec1_signs(tmp_path, pki, RSA_SHA256)
    verified = pki.verifier().verify(data, at=NOW)
    assert verified.signer.code == H53
    assert verified.signer.certificate == pki.h53.certificate
    assert verified.signature_method == RSA_SHA256[0]


def test_the_node_refuses_what_xmlsec1_signed_once_it_is_changed(tmp_path: Path, pki: Pki) -> None:
    data = xmlsec1_signs(tmp_path, pki, RSA_SHA256)
    tampered = data.replace(b"<edXML:Priority>1<", b"<edXML:Priority>3<", 1)
    assert tampered != data
    with pytest.raises(SignatureError) as refused:
        pki.verifier().verify(tampered, at=NOW)
    assert refused.value.code is SignatureCode.DIGEST_MISMATCH


def test_an_rsa_sha1_packet_needs_the_legacy_sha1_policy(tmp_path: Path, pki: Pki) -> None:
    data = xmlsec1_signs(tmp_path, pki, RSA_SHA1)
    with pytest.raises(SignatureError) as refused:
        pki.verifier().verify(data, at=NOW)
    assert refused.value.code is SignatureCode.ALGORITHM_FORBIDDEN
    assert "legacy_sha1" in refused.value.message
    legacy = pki.verifier(policy=AlgorithmPolicy(legacy_sha1=True))
    assert legacy.verify(data, at=NOW).signature_method == RSA_SHA1[0]
