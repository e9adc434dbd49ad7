"""Signature-wrapping attacks: a valid signature kept while what it covers is moved, copied or
narrowed, so that a careless reader reads a forgery. Each variant is refused by its shape."""

from __future__ import annotations

import copy

import pytest
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import SignatureConstructionMethod

from envelopes.namespaces import EDXML_NS, XMLDSIG_NS
from signing.errors import SignatureCode, SignatureError
from tests.envelopes.fixture_files import sample
from tests.support.pki import NOW, Pki, signed, to_bytes, tree

DS = f"{{{XMLDSIG_NS}}}"
E = f"{{{EDXML_NS}}}"
FORGED_SUBJECT = "Quyết định giả mạo"


def refused(pki: Pki, data: bytes) -> SignatureError:
    with pytest.raises(SignatureError) as error:
        pki.verifier().verify(data, at=NOW)
    return error.value


def header(root: etree._Element) -> etree._Element:
    found = root.find(f"{E}edXMLEnvelope/{E}edXMLHeader")
    assert found is not None
    return found


def forge(message_header: etree._Element) -> None:
    subject = message_header.find(f"{E}Subject")
    assert subject is not None
    subject.text = FORGED_SUBJECT


@pytest.fixture
def original(pki: Pki) -> bytes:
    return signed(sample("document-new.edxml"), pki.h53)


def test_the_signed_header_moved_into_the_signature_and_a_forgery_in_its_place(
    pki: Pki, original: bytes
) -> None:
    root = tree(original)
    message_header = header(root)[0]
    signature = header(root)[-1]
    hiding_place = etree.SubElement(signature, f"{DS}Object")
    hiding_place.append(copy.deepcopy(message_header))
    forge(message_header)
    error = refused(pki, to_bytes(root))
    assert error.code is SignatureCode.WRAPPING
    assert "inside the Signature" in error.message


def test_the_signed_header_moved_into_a_wrapper_and_a_forgery_in_its_place(
    pki: Pki, original: bytes
) -> None:
    root = tree(original)
    message_header = header(root)[0]
    wrapper = etree.SubElement(root, f"{E}Extension")
    wrapper.append(copy.deepcopy(message_header))
    forge(message_header)
    error = refused(pki, to_bytes(root))
    assert error.code is SignatureCode.WRAPPING
    assert "2 MessageHeader" in error.message


def test_a_duplicated_message_header_is_refused(pki: Pki, original: bytes) -> None:
    root = tree(original)
    forged = copy.deepcopy(header(root)[0])
    forge(forged)
    header(root).insert(0, forged)
    error = refused(pki, to_bytes(root))
    assert error.code is SignatureCode.WRAPPING


def test_a_duplicated_envelope_is_refused(pki: Pki, original: bytes) -> None:
    root = tree(original)
    envelope = root.find(f"{E}edXMLEnvelope")
    assert envelope is not None
    root.insert(0, copy.deepcopy(envelope))
    error = refused(pki, to_bytes(root))
    # Two envelopes mean two Signatures as well; either refusal names the attack's shape.
    assert error.code in (SignatureCode.WRAPPING, SignatureCode.MULTIPLE)


def test_a_second_signature_is_refused(pki: Pki, original: bytes) -> None:
    """A forger's own signature added beside the agency's."""
    root = tree(original)
    header(root).append(copy.deepcopy(header(root)[-1]))
    error = refused(pki, to_bytes(root))
    assert error.code is SignatureCode.MULTIPLE


def test_a_valid_signature_placed_at_the_end_of_the_root_is_refused(pki: Pki) -> None:
    """signxml's default place: cryptographically valid, but not where a packet's signature is."""
    root = tree(sample("document-new.edxml"))
    signer = XMLSigner(method=SignatureConstructionMethod.enveloped, c14n_algorithm=(
        "http://www.w3.org/2001/10/xml-exc-c14n#"))  # fmt: skip
    data = to_bytes(signer.sign(root, key=pki.h53.key, cert=[pki.h53.certificate]))
    error = refused(pki, data)
    assert error.code is SignatureCode.WRAPPING
    assert "end of edXMLEnvelope/edXMLHeader" in error.message


def test_a_reference_by_id_to_a_subtree_is_refused(pki: Pki) -> None:
    """The agency's key signs only the MessageHeader (by ID); the rest could then be anything."""
    root = tree(sample("document-new.edxml"))
    header(root)[0].set("Id", "signed-part")
    etree.SubElement(header(root), f"{DS}Signature", nsmap={"ds": XMLDSIG_NS}).set(
        "Id", "placeholder"
    )
    signer = XMLSigner(method=SignatureConstructionMethod.enveloped)
    data = to_bytes(
        signer.sign(root, key=pki.h53.key, cert=[pki.h53.certificate], reference_uri="#signed-part")
    )
    error = refused(pki, data)
    assert error.code is SignatureCode.REFERENCE_FORBIDDEN
    assert "#signed-part" in error.message


def test_two_references_are_refused(pki: Pki, original: bytes) -> None:
    root = tree(original)
    signed_info = root.find(f".//{DS}SignedInfo")
    assert signed_info is not None
    reference = signed_info.find(f"{DS}Reference")
    assert reference is not None
    signed_info.append(copy.deepcopy(reference))
    error = refused(pki, to_bytes(root))
    assert error.code is SignatureCode.REFERENCE_FORBIDDEN


def test_what_is_read_comes_from_the_signed_content(pki: Pki, original: bytes) -> None:
    """The verified packet says what the agency signed, whatever surrounds it."""
    verified = pki.verifier().verify(original, at=NOW)
    assert FORGED_SUBJECT.encode() not in verified.signed_content
    assert verified.packet.subject.startswith("Báo cáo tình hình")  # type: ignore[union-attr]
