"""Signing and verifying packets: the signature's form and place, the signer and the verified
content, and what signing refuses."""

from __future__ import annotations

import base64
import os
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from axis.devtools.dev_pki import Issued
from envelopes.errors import EnvelopeError
from envelopes.model import DocumentPacket, StatusPacket
from envelopes.namespaces import EDXML_NS, XMLDSIG_NS
from envelopes.parsing import parse_packet
from signing.algorithms import ENVELOPED_SIGNATURE, EXCLUSIVE_C14N
from signing.errors import SignatureCode, SignatureError
from signing.signer import sign_packet
from tests.envelopes.fixture_files import sample
from tests.support.pki import H41, H53, NOW, Pki, signed, tree

DS = f"{{{XMLDSIG_NS}}}"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"


def test_signature_sits_at_the_end_of_edxml_header_over_the_whole_packet(pki: Pki) -> None:
    root = tree(signed(sample("document-new.edxml"), pki.h53))
    header = root.find(f"{{{EDXML_NS}}}edXMLEnvelope/{{{EDXML_NS}}}edXMLHeader")
    assert header is not None
    signature = header[-1]
    assert signature.tag == f"{DS}Signature"
    reference = signature.find(f"{DS}SignedInfo/{DS}Reference")
    assert reference is not None
    assert reference.get("URI") == ""
    transforms = [t.get("Algorithm") for t in reference.iter(f"{DS}Transform")]
    assert transforms == [ENVELOPED_SIGNATURE, EXCLUSIVE_C14N.value]
    method = signature.find(f"{DS}SignedInfo/{DS}SignatureMethod")
    assert method is not None
    assert method.get("Algorithm") == RSA_SHA256
    assert signature.find(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate") is not None


def test_an_rsa_signed_packet_verifies_with_its_signer_and_content(pki: Pki) -> None:
    original = sample("document-new.edxml")
    verified = pki.verifier().verify(signed(original, pki.h53), at=NOW)
    assert verified.signer.code == H53
    assert verified.signer.certificate == pki.h53.certificate
    assert verified.signer.authority == pki.ca.certificate
    assert "UID=000.00.12.H53" in verified.signer_subject
    assert verified.signature_method == RSA_SHA256
    assert verified.packet == parse_packet(original)


def test_an_ecdsa_p256_signed_packet_verifies(pki: Pki) -> None:
    data = signed(sample("document-new.edxml"), pki.h53_ec)
    verified = pki.verifier().verify(data, at=NOW)
    assert verified.signature_method == ECDSA_SHA256
    assert verified.signer.certificate == pki.h53_ec.certificate


def test_a_status_packet_is_signed_and_verified_like_a_document(pki: Pki) -> None:
    verified = pki.verifier().verify(signed(sample("status-03-accepted.edxml"), pki.h41), at=NOW)
    assert isinstance(verified.packet, StatusPacket)
    assert verified.signer.code == H41


def test_the_verified_content_is_the_packet_without_its_signature(pki: Pki) -> None:
    data = signed(sample("document-new.edxml"), pki.h53)
    verified = pki.verifier().verify(data, at=NOW)
    assert b"Signature" not in verified.signed_content
    assert b"SignatureValue" in data
    # What the node reads is read from those bytes, and only from them.
    assert verified.packet == parse_packet(verified.signed_content)
    assert isinstance(verified.packet, DocumentPacket)
    assert verified.packet.signature_present is False


def _without_signature(data: bytes, signature_start: bytes = b"<ds:Signature") -> bytes:
    start = data.index(signature_start)
    end = data.index(b"</ds:Signature>") + len(b"</ds:Signature>")
    return data[:start] + data[end:]


def _quirky(original: bytes) -> dict[str, bytes]:
    """The same packet written the ways real ones are: what signing must leave as it is."""
    text = original.decode("utf-8")
    return {
        "as given": original,
        "single-quoted declaration": original.replace(
            b'<?xml version="1.0" encoding="UTF-8"?>', b"<?xml version='1.0' encoding='UTF-8'?>"
        ),
        "no declaration": original.split(b"?>", 1)[1].lstrip(b"\n"),
        "CRLF line ends": original.replace(b"\n", b"\r\n"),
        "empty elements written open": original.replace(
            b"<edXML:Fax/>", b"<edXML:Fax></edXML:Fax>"
        ),
        "blank lines and tabs": original.replace(
            b"\n    <edXML:edXMLBody>", b"\n\n\t<edXML:edXMLBody>"
        ),
        "byte-order mark": b"\xef\xbb\xbf" + original,
        "comment naming the end tag": original.replace(
            b"<edXML:MessageHeader>", b"<!-- </edXML:edXMLHeader> --><edXML:MessageHeader>", 1
        ),
        "UTF-16": text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"),
    }


@pytest.mark.parametrize("name", ["document-new.edxml", "status-03-accepted.edxml",
                                  "revoke.edxml", "update-recipients.edxml"])  # fmt: skip
def test_signing_changes_no_byte_outside_the_signature(pki: Pki, name: str) -> None:
    agency = pki.h41 if name.startswith("status") else pki.h53
    reference = pki.verifier().verify(signed(sample(name), agency), at=NOW).packet
    for how, given in _quirky(sample(name)).items():
        data = signed(given, agency)
        if how == "UTF-16":
            back = data.decode("utf-16")
            start = back.index("<ds:Signature")
            end = back.index("</ds:Signature>") + len("</ds:Signature>")
            assert (back[:start] + back[end:]).encode("utf-16") == given, how
        else:
            assert _without_signature(data) == given, how
        assert pki.verifier().verify(data, at=NOW).packet == reference, how


def test_a_legacy_packet_with_attachments_verifies_once_signed_properly(pki: Pki) -> None:
    legacy = sample("legacy-quirks.edxml")
    start, end = legacy.index(b"<Signature>"), legacy.index(b"</Signature>") + len(b"</Signature>")
    unsigned = legacy[:start] + legacy[end:]
    verified = pki.verifier().verify(signed(unsigned, pki.h53), at=NOW)
    assert isinstance(verified.packet, DocumentPacket)
    assert verified.packet.attachments


def test_signing_a_signed_packet_is_refused(pki: Pki) -> None:
    with pytest.raises(SignatureError) as refused:
        signed(signed(sample("document-new.edxml"), pki.h53), pki.h53)
    assert refused.value.code is SignatureCode.ALREADY_SIGNED


def test_signing_with_a_key_that_is_not_the_certificates_is_refused(pki: Pki) -> None:
    with pytest.raises(SignatureError) as refused:
        sign_packet(sample("document-new.edxml"), pki.g22.key, pki.h53.certificate)
    assert refused.value.code is SignatureCode.KEY_UNSUITABLE
    assert "does not belong to the certificate" in refused.value.message


def test_signing_with_a_short_rsa_key_is_refused(pki: Pki) -> None:
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(SignatureError) as refused:
        sign_packet(sample("document-new.edxml"), short, _certificate_for(pki, short).certificate)
    assert refused.value.code is SignatureCode.KEY_UNSUITABLE
    assert "1024 bits" in refused.value.message


def test_signing_an_invalid_packet_reports_the_envelope_problems(pki: Pki) -> None:
    data = sample("document-new.edxml").replace(
        b"<edXML:OrganId>000.00.00.G22</edXML:OrganId>", b"<edXML:OrganId/>", 1
    )
    with pytest.raises(EnvelopeError) as refused:
        signed(data, pki.h53)
    assert refused.value.code == "EDXML_MISSING_ELEMENT"


def test_a_packet_with_findings_only_is_signed(pki: Pki) -> None:
    """What the acceptance policy accepts, `axis sign` signs: a misspelt Subject is a finding."""
    data = sample("document-new.edxml").replace(b"<edXML:Subject>", b"<edXML:Subjekt>", 1)
    data = data.replace(b"</edXML:Subject>", b"</edXML:Subjekt>", 1)
    verified = pki.verifier().verify(signed(data, pki.h53), at=NOW)
    assert {p.code for p in verified.packet.findings} == {
        "EDXML_MISSING_INFORMATION", "EDXML_SCHEMA_UNEXPECTED_ELEMENT",
    }  # fmt: skip


def _certificate_for(pki: Pki, key: rsa.RSAPrivateKey) -> Issued:
    """A certificate for `key`, issued by the test CA (the dev PKI only makes its own keys)."""
    certificate = (
        x509.CertificateBuilder()
        .subject_name(pki.h53.certificate.subject)
        .issuer_name(pki.ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=1))
        .sign(pki.ca.key, hashes.SHA256())
    )
    return Issued(key, certificate)


def test_a_packet_with_an_attachment_over_ten_megabytes_is_signed_and_verified(
    pki: Pki,
) -> None:
    """libxml2 caps a text node at 10 MB unless told otherwise; attachments are larger."""
    content = base64.b64encode(os.urandom(12 * 1024 * 1024))
    original = sample("document-new.edxml")
    start = original.index(b"<edXML:ContentTransferEncoded")
    start = original.index(b">", start) + 1
    end = original.index(b"</edXML:ContentTransferEncoded>", start)
    big = original[:start] + content + original[end:]
    data = signed(big, pki.h53)
    assert _without_signature(data) == big
    verified = pki.verifier().verify(data, at=NOW)
    assert isinstance(verified.packet, DocumentPacket)
    assert verified.packet.attachments[0].content.size == len(base64.b64decode(content))
