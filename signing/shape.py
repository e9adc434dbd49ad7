"""The shape of a packet's signature, checked before any cryptography: one XML-DSig Signature at
the end of edXMLHeader, over the whole document, with known transforms and algorithms.

Why so strict. The classic attacks on XML signatures (signature wrapping) keep a valid signature
and move what it covers so that the application reads something else: a forged element put where
the signed one was, the signed one hidden inside the Signature or a wrapper, a second Signature,
or a Reference by ID that covers a subtree while the reader looks elsewhere. The node accepts
only the one shape real packets have, so these are refused by their shape with their own code,
and everything it reads afterwards comes from the signed content (see `verification`).
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from dataclasses import dataclass

from cryptography import x509
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod

from envelopes.namespaces import EDXML_NS, XMLDSIG_NS
from signing.algorithms import (
    CANONICALIZATIONS,
    ENVELOPED_SIGNATURE,
    AlgorithmPolicy,
    check_canonicalization,
)
from signing.certificates import certificate_from_base64
from signing.errors import SignatureCode, SignatureError

_SINGLE_STRUCTURE = (
    "edXMLEnvelope",
    "edXMLHeader",
    "edXMLBody",
    "MessageHeader",
    "TraceHeaderList",
    "edXMLManifest",
    "AttachmentEncoded",
)
"""Elements a packet holds at most once: a second one is how a wrapped packet hides a forgery."""
_DS = f"{{{XMLDSIG_NS}}}"


@dataclass(frozen=True, slots=True)
class SignatureShape:
    """What the Signature element says, once its shape is accepted."""

    element: etree._Element
    certificate: x509.Certificate
    """The first certificate of KeyInfo/X509Data: the one the signature is checked against."""
    chain: tuple[x509.Certificate, ...]
    """Any further certificates KeyInfo carries (intermediates); informational."""
    signature_method: SignatureMethod
    digest_method: DigestAlgorithm


def inspect(root: etree._Element, policy: AlgorithmPolicy) -> SignatureShape:
    """The packet's signature, or `SignatureError` saying why its shape is refused."""
    names: Counter[str] = Counter()
    signatures: list[etree._Element] = []
    for element in root.iter(tag=etree.Element):
        name = element.tag.rpartition("}")[2]
        names[name] += 1
        if name == "Signature":
            signatures.append(element)
    signature = _the_signature(signatures)
    _check_place(root, signature)
    _check_nothing_hidden(signature)
    _check_structure(names)
    signed_info = _one(signature, "SignedInfo")
    check_canonicalization(_algorithm(_one(signed_info, "CanonicalizationMethod")))
    method = policy.check_signature_method(_algorithm(_one(signed_info, "SignatureMethod")))
    reference = _the_reference(signed_info)
    _check_transforms(reference)
    digest = policy.check_digest(_algorithm(_one(reference, "DigestMethod")))
    _base64(_one(reference, "DigestValue"), "DigestValue")
    _base64(_one(signature, "SignatureValue"), "SignatureValue")
    certificates = _certificates(signature)
    return SignatureShape(signature, certificates[0], tuple(certificates[1:]), method, digest)


def _the_signature(found: list[etree._Element]) -> etree._Element:
    if not found:
        raise SignatureError(
            SignatureCode.MISSING,
            "The packet is not signed: it has no Signature element. The sending agency must sign "
            "it with its certificate (XML-DSig, enveloped, at the end of edXMLHeader).",
        )
    if len(found) > 1:
        raise SignatureError(
            SignatureCode.MULTIPLE,
            f"The packet carries {len(found)} Signature elements; a packet is signed once, by its "
            "sending agency. Remove the others.",
        )
    signature = found[0]
    if etree.QName(signature).namespace != XMLDSIG_NS:
        where = etree.QName(signature).namespace or "no namespace"
        raise SignatureError(
            SignatureCode.NOT_XMLDSIG,
            f"The Signature element is in {where}, not in the XML-DSig namespace {XMLDSIG_NS}: "
            "the signature cannot be verified. The sending system must write "
            f'<Signature xmlns="{XMLDSIG_NS}">.',
        )
    return signature


def _check_place(root: etree._Element, signature: etree._Element) -> None:
    header = signature.getparent()
    envelope = header.getparent() if header is not None else None
    in_place = (
        header is not None
        and envelope is not None
        and _is_edxml(header, "edXMLHeader")
        and _is_edxml(envelope, "edXMLEnvelope")
        and envelope.getparent() is root
        and signature.getnext() is None
    )
    if not in_place:
        raise SignatureError(
            SignatureCode.WRAPPING,
            f"The Signature element is at {_path(signature)}; a packet's signature belongs at the "
            "end of edXMLEnvelope/edXMLHeader. A signature elsewhere is the shape of a "
            "signature-wrapping attack, so the packet is refused.",
        )


def _check_structure(names: Counter[str]) -> None:
    for name in _SINGLE_STRUCTURE:
        count = names[name]
        if count > 1:
            raise SignatureError(
                SignatureCode.WRAPPING,
                f"The packet holds {count} {name} elements; a packet has at most one. A duplicate "
                "is the shape of a signature-wrapping attack (a forged copy beside the signed "
                "one), so the packet is refused.",
            )


def _check_nothing_hidden(signature: etree._Element) -> None:
    for element in signature.iter():
        if not isinstance(element.tag, str):
            continue  # comments inside the signature carry nothing
        namespace = etree.QName(element).namespace
        if namespace in (EDXML_NS, None):
            raise SignatureError(
                SignatureCode.WRAPPING,
                f"The Signature element contains {etree.QName(element).localname} at "
                f"{_path(element)}: packet content inside the Signature is not covered by it. "
                "This is the shape of a signature-wrapping attack, so the packet is refused.",
            )


def _the_reference(signed_info: etree._Element) -> etree._Element:
    references = signed_info.findall(f"{_DS}Reference")
    if len(references) != 1:
        raise SignatureError(
            SignatureCode.REFERENCE_FORBIDDEN,
            f"The signature has {len(references)} References; a packet's signature has exactly "
            'one, URI="", covering the whole packet.',
        )
    uri = references[0].get("URI")
    if uri != "":
        shown = "no URI" if uri is None else f'URI="{uri}"'
        raise SignatureError(
            SignatureCode.REFERENCE_FORBIDDEN,
            f'The signature\'s Reference has {shown}; only URI="" (the whole packet) is '
            "accepted. A signature over a part of the packet leaves the rest unsigned.",
        )
    return references[0]


def _check_transforms(reference: etree._Element) -> None:
    transforms = reference.find(f"{_DS}Transforms")
    algorithms = (
        [_algorithm(t) for t in transforms.findall(f"{_DS}Transform")]
        if transforms is not None
        else []
    )
    for algorithm in algorithms:
        if algorithm != ENVELOPED_SIGNATURE and algorithm not in CANONICALIZATIONS:
            raise SignatureError(
                SignatureCode.TRANSFORM_FORBIDDEN,
                f"The transform {algorithm or '(none)'} is not accepted; a packet's signature "
                "uses only enveloped-signature and canonicalization.",
            )
    if algorithms.count(ENVELOPED_SIGNATURE) != 1 or len(algorithms) > 2:
        raise SignatureError(
            SignatureCode.TRANSFORM_FORBIDDEN,
            f"The signature's transforms are {algorithms or 'none'}; a packet's signature has "
            "the enveloped-signature transform once, optionally followed by one "
            "canonicalization.",
        )


def _certificates(signature: etree._Element) -> list[x509.Certificate]:
    elements = signature.findall(f"{_DS}KeyInfo/{_DS}X509Data/{_DS}X509Certificate")
    if not elements:
        raise SignatureError(
            SignatureCode.CERT_UNREADABLE,
            "The signature's KeyInfo carries no X509Certificate, so the signer cannot be known; "
            "the sending system must include its certificate.",
        )
    certificates = []
    for element in elements:
        try:
            certificates.append(certificate_from_base64(element.text or ""))
        except ValueError as error:
            raise SignatureError(
                SignatureCode.CERT_UNREADABLE,
                f"The certificate in the signature's KeyInfo cannot be read ({error}); it may be "
                "truncated. The signature cannot be verified.",
            ) from None
    return certificates


def _one(parent: etree._Element, name: str) -> etree._Element:
    found = parent.findall(f"{_DS}{name}")
    if len(found) != 1:
        raise SignatureError(
            SignatureCode.MALFORMED,
            f"{etree.QName(parent).localname} must have exactly one {name} element; it has "
            f"{len(found)}.",
        )
    return found[0]


def _algorithm(element: etree._Element) -> str | None:
    value = element.get("Algorithm")
    return value if isinstance(value, str) else None


def _base64(element: etree._Element, name: str) -> None:
    try:
        base64.b64decode("".join((element.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(
            SignatureCode.MALFORMED, f"The signature's {name} is not valid base64."
        ) from None


def _is_edxml(element: etree._Element, name: str) -> bool:
    qname = etree.QName(element)
    return qname.localname == name and qname.namespace in (EDXML_NS, None)


def _path(element: etree._Element) -> str:
    steps = [etree.QName(e).localname for e in (element, *element.iterancestors())]
    return "/" + "/".join(reversed(steps))
