"""Every reason a signature is refused has its own code: absent or unverifiable signatures,
broken cryptography, forbidden algorithms, and signers the trust store does not vouch for."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from lxml import etree

from envelopes.errors import EnvelopeError
from envelopes.namespaces import XMLDSIG_NS
from signing.algorithms import AlgorithmPolicy
from signing.errors import SignatureCode, SignatureError
from signing.trust import Authorization, Revocation, TrustStore
from signing.verification import PacketVerifier
from tests.envelopes.fixture_files import sample
from tests.support.pki import DAY, G22, H53, NOW, Pki, signed, to_bytes, tree

DS = f"{{{XMLDSIG_NS}}}"
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"


def refusal(verifier: PacketVerifier, data: bytes, *, at: object = NOW) -> SignatureError:
    with pytest.raises(SignatureError) as refused:
        verifier.verify(data, at=at)  # type: ignore[arg-type]
    assert refused.value.message  # every refusal says why, in a sentence
    return refused.value


def edited(data: bytes, edit: Callable[[etree._Element], None]) -> bytes:
    root = tree(data)
    edit(root)
    return to_bytes(root)


def the(root: etree._Element, path: str) -> etree._Element:
    found = root.find(f".//{path}")
    assert found is not None, path
    return found


@pytest.fixture
def document(pki: Pki) -> bytes:
    return signed(sample("document-new.edxml"), pki.h53)


# -- absent or unverifiable -------------------------------------------------------------------


def test_an_unsigned_packet_is_refused_as_missing(pki: Pki) -> None:
    error = refusal(pki.verifier(), sample("document-new.edxml"))
    assert error.code is SignatureCode.MISSING


def test_a_signature_outside_the_xmldsig_namespace_is_never_valid(pki: Pki) -> None:
    # The real-world quirk: Signature written without its namespace (and a truncated
    # certificate). The packet parses; its signature is reported as not verifiable.
    error = refusal(pki.verifier(), sample("legacy-quirks.edxml"))
    assert error.code is SignatureCode.NOT_XMLDSIG
    assert "cannot be verified" in error.message


def test_a_truncated_certificate_is_reported_unreadable(pki: Pki, document: bytes) -> None:
    def truncate(root: etree._Element) -> None:
        element = the(root, f"{DS}X509Certificate")
        element.text = (element.text or "")[:40]

    error = refusal(pki.verifier(), edited(document, truncate))
    assert error.code is SignatureCode.CERT_UNREADABLE
    assert "truncated" in error.message


def test_keyinfo_without_a_certificate_is_reported_unreadable(pki: Pki, document: bytes) -> None:
    def drop(root: etree._Element) -> None:
        data = the(root, f"{DS}X509Data")
        data.getparent().remove(data)  # type: ignore[union-attr]

    assert refusal(pki.verifier(), edited(document, drop)).code is SignatureCode.CERT_UNREADABLE


def test_a_signature_without_signed_info_is_malformed(pki: Pki, document: bytes) -> None:
    def drop(root: etree._Element) -> None:
        signed_info = the(root, f"{DS}SignedInfo")
        signed_info.getparent().remove(signed_info)  # type: ignore[union-attr]

    assert refusal(pki.verifier(), edited(document, drop)).code is SignatureCode.MALFORMED


def test_a_signature_value_that_is_not_base64_is_malformed(pki: Pki, document: bytes) -> None:
    def garble(root: etree._Element) -> None:
        the(root, f"{DS}SignatureValue").text = "not base64 at all!"

    assert refusal(pki.verifier(), edited(document, garble)).code is SignatureCode.MALFORMED


# -- the cryptography ---------------------------------------------------------------------------


def test_a_packet_changed_after_signing_is_a_digest_mismatch(pki: Pki, document: bytes) -> None:
    tampered = document.replace("Báo cáo tình hình".encode(), "Báo cáo giả mạo".encode(), 1)
    assert tampered != document
    error = refusal(pki.verifier(), tampered)
    assert error.code is SignatureCode.DIGEST_MISMATCH


def test_an_attachment_changed_after_signing_is_a_digest_mismatch(pki: Pki) -> None:
    legacy = sample("legacy-quirks.edxml")
    start, end = legacy.index(b"<Signature>"), legacy.index(b"</Signature>") + len(b"</Signature>")
    data = signed(legacy[:start] + legacy[end:], pki.h53)

    def swap(root: etree._Element) -> None:
        content = the(root, "{*}ContentTransferEncoded")
        content.text = base64.b64encode(b"a different file").decode()

    assert refusal(pki.verifier(), edited(data, swap)).code is SignatureCode.DIGEST_MISMATCH


def test_a_signature_value_not_made_by_the_certificates_key_mismatches(
    pki: Pki, document: bytes
) -> None:
    def flip(root: etree._Element) -> None:
        element = the(root, f"{DS}SignatureValue")
        raw = bytearray(base64.b64decode(element.text or ""))
        raw[10] ^= 0xFF
        element.text = base64.b64encode(bytes(raw)).decode()

    error = refusal(pki.verifier(), edited(document, flip))
    assert error.code is SignatureCode.VALUE_MISMATCH


def test_a_certificate_swapped_into_keyinfo_mismatches(pki: Pki, document: bytes) -> None:
    """G22's certificate put in place of H53's: the signature was not made by G22's key."""
    other = signed(sample("document-new.edxml"), pki.g22)
    g22_text = the(tree(other), f"{DS}X509Certificate").text

    def swap(root: etree._Element) -> None:
        the(root, f"{DS}X509Certificate").text = g22_text

    assert refusal(pki.verifier(), edited(document, swap)).code is SignatureCode.VALUE_MISMATCH


# -- algorithms --------------------------------------------------------------------------------


def test_sha1_is_refused_by_default_and_the_error_names_the_policy(
    pki: Pki, document: bytes
) -> None:
    def to_sha1(root: etree._Element) -> None:
        the(root, f"{DS}SignatureMethod").set("Algorithm", RSA_SHA1)

    error = refusal(pki.verifier(), edited(document, to_sha1))
    assert error.code is SignatureCode.ALGORITHM_FORBIDDEN
    assert "legacy_sha1" in error.message
    assert "off" in error.message


def test_a_sha1_digest_is_refused_by_default(pki: Pki, document: bytes) -> None:
    def to_sha1(root: etree._Element) -> None:
        the(root, f"{DS}DigestMethod").set("Algorithm", SHA1)

    error = refusal(pki.verifier(), edited(document, to_sha1))
    assert error.code is SignatureCode.ALGORITHM_FORBIDDEN
    assert "legacy_sha1" in error.message


def test_hmac_is_refused_even_with_legacy_sha1(pki: Pki, document: bytes) -> None:
    def to_hmac(root: etree._Element) -> None:
        the(root, f"{DS}SignatureMethod").set("Algorithm", HMAC_SHA256)

    verifier = pki.verifier(policy=AlgorithmPolicy(legacy_sha1=True))
    error = refusal(verifier, edited(document, to_hmac))
    assert error.code is SignatureCode.ALGORITHM_FORBIDDEN


def test_an_unknown_canonicalization_is_refused(pki: Pki, document: bytes) -> None:
    def to_unknown(root: etree._Element) -> None:
        the(root, f"{DS}CanonicalizationMethod").set("Algorithm", "urn:example:c14n")

    error = refusal(pki.verifier(), edited(document, to_unknown))
    assert error.code is SignatureCode.ALGORITHM_FORBIDDEN


def test_an_xpath_transform_is_refused(pki: Pki, document: bytes) -> None:
    def add_xpath(root: etree._Element) -> None:
        transforms = the(root, f"{DS}Transforms")
        xpath = etree.SubElement(transforms, f"{DS}Transform")
        xpath.set("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116")

    error = refusal(pki.verifier(), edited(document, add_xpath))
    assert error.code is SignatureCode.TRANSFORM_FORBIDDEN


def test_a_reference_without_the_enveloped_transform_is_refused(pki: Pki, document: bytes) -> None:
    def drop_enveloped(root: etree._Element) -> None:
        transforms = the(root, f"{DS}Transforms")
        transforms.remove(transforms[0])

    error = refusal(pki.verifier(), edited(document, drop_enveloped))
    assert error.code is SignatureCode.TRANSFORM_FORBIDDEN


# -- the signer --------------------------------------------------------------------------------


def test_a_certificate_not_in_the_store_is_unknown(pki: Pki, document: bytes) -> None:
    store = TrustStore.of(
        [pki.ca.certificate], [Authorization.for_certificate(G22, pki.g22.certificate)]
    )
    error = refusal(PacketVerifier(store), document)
    assert error.code is SignatureCode.CERT_UNKNOWN
    assert "axis trust add" in error.message


def test_a_certificate_from_an_untrusted_authority_is_refused(pki: Pki) -> None:
    error = refusal(pki.verifier(), signed(sample("document-new.edxml"), pki.foreign))
    assert error.code is SignatureCode.ISSUER_UNTRUSTED


def test_an_expired_certificate_is_refused(pki: Pki) -> None:
    error = refusal(pki.verifier(), signed(sample("document-new.edxml"), pki.expired))
    assert error.code is SignatureCode.CERT_EXPIRED


def test_a_packet_signed_before_the_certificate_expired_still_verifies_as_of_then(
    pki: Pki,
) -> None:
    data = signed(sample("document-new.edxml"), pki.expired)
    assert pki.verifier().verify(data, at=NOW - 10 * DAY).signer.code == H53


def test_a_certificate_not_yet_valid_is_refused(pki: Pki) -> None:
    error = refusal(pki.verifier(), signed(sample("document-new.edxml"), pki.not_yet_valid))
    assert error.code is SignatureCode.CERT_NOT_YET_VALID


def test_a_revoked_certificate_is_refused(pki: Pki) -> None:
    error = refusal(pki.verifier(), signed(sample("document-new.edxml"), pki.revoked))
    assert error.code is SignatureCode.CERT_REVOKED
    assert "key compromise" in error.message


def test_a_revocation_does_not_undo_what_was_signed_before_it(pki: Pki) -> None:
    data = signed(sample("document-new.edxml"), pki.revoked)
    assert pki.verifier().verify(data, at=NOW - 3 * DAY).signer.code == H53


def test_agency_a_signing_a_packet_from_agency_b_is_not_authorized(pki: Pki) -> None:
    """G22's own, valid certificate on a packet whose From is H53."""
    error = refusal(pki.verifier(), signed(sample("document-new.edxml"), pki.g22))
    assert error.code is SignatureCode.NOT_AUTHORIZED
    assert G22 in error.message
    assert H53 in error.message


def test_during_a_rotation_both_certificates_sign_then_only_the_new_one(pki: Pki) -> None:
    old = signed(sample("document-new.edxml"), pki.rotated_old)
    new = signed(sample("document-new.edxml"), pki.rotated_new)
    verifier = pki.verifier()
    during = NOW
    after = pki.rotation_switch + DAY
    assert verifier.verify(old, at=during).signer.certificate == pki.rotated_old.certificate
    assert verifier.verify(new, at=during).signer.certificate == pki.rotated_new.certificate
    assert verifier.verify(new, at=after).signer.code == H53
    assert refusal(verifier, old, at=after).code is SignatureCode.CERT_EXPIRED


def test_an_authorization_that_starts_later_is_not_yet_valid(pki: Pki) -> None:
    new = signed(sample("document-new.edxml"), pki.rotated_new)
    error = refusal(pki.verifier(), new, at=NOW - 6 * DAY)
    assert error.code is SignatureCode.CERT_NOT_YET_VALID
    assert "authorization" in error.message


def test_the_earliest_of_two_revocations_counts(pki: Pki) -> None:
    serial = format(pki.h53.certificate.serial_number, "x")
    store = TrustStore.of(
        [pki.ca.certificate],
        [Authorization.for_certificate(H53, pki.h53.certificate)],
        [Revocation(serial, NOW + 5 * DAY), Revocation(serial, NOW - DAY)],
    )
    data = signed(sample("document-new.edxml"), pki.h53)
    assert refusal(PacketVerifier(store), data).code is SignatureCode.CERT_REVOKED


def test_a_comment_slipped_into_a_text_value_after_signing_is_refused(pki: Pki) -> None:
    """Canonicalization drops comments, so the digest still holds: the node would read
    "Pay 1000" where a reader of the first text node reads "Pay 1" (comment injection)."""
    amount = sample("document-new.edxml").replace(b"</edXML:Subject>", b" 1000</edXML:Subject>")
    data = signed(amount, pki.h53)
    injected = data.replace(b" 1000</edXML:Subject>", b" 1<!--x-->000</edXML:Subject>", 1)
    assert injected != data
    with pytest.raises(EnvelopeError) as refused:
        pki.verifier().verify(injected, at=NOW)
    assert refused.value.code == "EDXML_COMMENT_IN_TEXT"
    between = data.replace(b"<edXML:Subject>", b"<!-- a note --><edXML:Subject>", 1)
    assert (
        pki.verifier().verify(between, at=NOW).packet == pki.verifier().verify(data, at=NOW).packet
    )
