"""The lean verifier checks the whole-packet Reference on signxml's own parse instead of copies
(`signing.lean_verifier`): it must answer exactly as signxml does (the same signed bytes, the
same refusals), and leave every other kind of Reference to signxml's own path."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree
from signxml import SignatureConfiguration, XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod, SignatureConstructionMethod
from signxml.exceptions import InvalidDigest, InvalidSignature

from signing.lean_verifier import LeanXMLVerifier
from tests.support.pki import Pki, signed

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PACKETS = sorted(p for p in (FIXTURES / "edxml").glob("*.edxml") if p.name != "legacy-quirks.edxml")
"""The unsigned samples (legacy-quirks carries a Signature element outside XML-DSig's namespace,
which no verifier reads)."""
CONFIG = SignatureConfiguration(require_x509=True, location=".//", expect_references=1)


def both(data: bytes, certificate: x509.Certificate) -> tuple[bytes, bytes]:
    """The signed bytes signxml's verifier and the lean one answer for `data`."""
    lean = LeanXMLVerifier().verify(data, x509_cert=certificate, expect_config=CONFIG)
    plain = XMLVerifier().verify(data, x509_cert=certificate, expect_config=CONFIG)
    return lean.signed_data, plain.signed_data


@pytest.mark.parametrize("path", PACKETS, ids=lambda p: p.name)
@pytest.mark.parametrize("key", ["rsa", "ec"])
def test_the_lean_verifier_answers_the_same_signed_bytes_as_signxml(
    pki: Pki, path: Path, key: str
) -> None:
    issued = pki.h53 if key == "rsa" else pki.h53_ec
    data = signed(path.read_bytes(), issued)
    lean, plain = both(data, issued.certificate)
    assert lean == plain
    assert b"Signature" not in lean  # the enveloped signature is not part of what it covers


def test_a_packet_changed_after_signing_is_refused_by_both(pki: Pki) -> None:
    data = signed(PACKETS[0].read_bytes(), pki.h53)
    changed = data.replace(b"<edXML:Subject>", b"<edXML:Subject>X", 1)
    assert changed != data
    for verifier in (LeanXMLVerifier(), XMLVerifier()):
        with pytest.raises(InvalidDigest):
            verifier.verify(changed, x509_cert=pki.h53.certificate, expect_config=CONFIG)


def test_a_signature_by_another_key_is_refused_by_both(pki: Pki) -> None:
    data = signed(PACKETS[0].read_bytes(), pki.h53)
    for verifier in (LeanXMLVerifier(), XMLVerifier()):
        with pytest.raises(InvalidSignature):
            verifier.verify(data, x509_cert=pki.h41.certificate, expect_config=CONFIG)


def test_inclusive_canonicalization_and_an_id_reference_take_the_same_path_as_signxml(
    pki: Pki,
) -> None:
    root = etree.fromstring(b'<doc xmlns="urn:x"><part Id="p1"><v>1</v></part><w>2</w></doc>')
    for reference_uri, c14n in (
        (None, CanonicalizationMethod.CANONICAL_XML_1_1),  # URI="": the lean path
        ("#p1", CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0),  # signxml's own
    ):
        signer = XMLSigner(method=SignatureConstructionMethod.enveloped, c14n_algorithm=c14n)
        signed_root = signer.sign(
            root, key=pki.h53.key, cert=[pki.h53.certificate], reference_uri=reference_uri
        )
        data = etree.tostring(signed_root)
        lean, plain = both(data, pki.h53.certificate)
        assert lean == plain
        covered = b"<w>" in lean
        assert covered is (reference_uri is None)
