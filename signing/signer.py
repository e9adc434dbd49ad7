"""Signing a packet: enveloped XML-DSig over the whole packet, placed at the end of edXMLHeader.

The signature is `Reference URI=""` with the enveloped-signature transform and exclusive c14n,
RSA-SHA256 for RSA keys and ECDSA-SHA256 for P-256 keys, and KeyInfo carries the certificate
(then any intermediates). signxml builds it; the node only decides where it goes and what goes
in. The bytes returned are final: whitespace inside the packet is signed, so they must be sent
as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.parsers import expat

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureConstructionMethod, SignatureMethod
from signxml.exceptions import InvalidInput
from signxml.signer import XMLSigner

from envelopes.errors import EnvelopeError, Problem
from envelopes.namespaces import XMLDSIG_NS
from envelopes.parsing import DEFAULT_LIMITS, Limits, parse_packet
from envelopes.problem_codes import ProblemCode
from envelopes.safe_parsing import build_tree, safe_parser
from signing.algorithms import EXCLUSIVE_C14N
from signing.certificates import PrivateKey
from signing.errors import SignatureCode, SignatureError

MIN_RSA_BITS = 2048


def sign_packet(
    data: bytes,
    key: PrivateKey,
    certificate: x509.Certificate,
    *,
    chain: Sequence[x509.Certificate] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    """`data` (a valid, unsigned packet) signed with `key`, whose certificate is `certificate`.

    Raises `EnvelopeError` when the packet is invalid and `SignatureError` when it is already
    signed or the key does not suit.
    """
    packet = parse_packet(data, limits)
    if packet.signature_present:
        raise SignatureError(
            SignatureCode.ALREADY_SIGNED,
            "The packet already carries a Signature; a packet is signed once, by its sending "
            "agency. Sign the unsigned packet.",
        )
    method = signature_method_for(key, certificate)
    root = build_tree(data)  # the bytes `parse_packet` accepted: the one parse path
    header = root.find("./{*}edXMLEnvelope/{*}edXMLHeader")
    if header is None:  # parse_packet has checked the structure; never reached
        raise ValueError("the packet has no edXMLEnvelope/edXMLHeader")
    _append_placeholder(header)
    end = header_end(data)  # before any work: a packet that cannot take a Signature is refused
    signer = _Signer(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=EXCLUSIVE_C14N,
    )
    try:
        signed = signer.sign(root, key=key, cert=[certificate, *chain])
    except InvalidInput as error:  # pragma: no cover - the inputs are checked above
        raise SignatureError(SignatureCode.KEY_UNSUITABLE, str(error)) from None
    except (etree.LxmlError, ValueError) as error:  # the scan refuses what c14n cannot take
        raise EnvelopeError(
            Problem(ProblemCode.MALFORMED, f"The packet has no canonical form to sign: {error}.")
        ) from None
    signature = signed.find(f"./{{*}}edXMLEnvelope/{{*}}edXMLHeader/{{{XMLDSIG_NS}}}Signature")
    if signature is None:  # pragma: no cover - signxml puts it where the placeholder was
        raise ValueError("signxml placed no Signature at the end of edXMLHeader")
    fragment = etree.tostring(signature, with_tail=False)  # ASCII: base64, URIs, names
    return data[: end.index] + end.encoding.encode_ascii(fragment) + data[end.index :]


class _Signer(XMLSigner):
    """signxml's signer, parsing with the node's safe parser: no entities, no network, and
    text nodes beyond libxml2's 10 MB default (attachments of tens of MB are signed too)."""

    @property
    def parser(self) -> etree.XMLParser:
        return safe_parser()


@dataclass(frozen=True, slots=True)
class _Encoding:
    utf16: str | None = None
    """`utf-16-le` or `utf-16-be` for a UTF-16 packet; None for UTF-8 and its ASCII kin."""

    def encode_ascii(self, text: bytes) -> bytes:
        return text.decode("ascii").encode(self.utf16) if self.utf16 else text


@dataclass(frozen=True, slots=True)
class HeaderEnd:
    index: int
    """Byte offset of the `</...edXMLHeader>` end tag in the packet."""
    encoding: _Encoding


def header_end(data: bytes) -> HeaderEnd:
    """Where the Signature goes: the byte offset of the end tag of edXMLEnvelope/edXMLHeader,
    found by an XML parser (expat reports byte positions; a text search could be fooled by a
    comment or CDATA holding the same text). Every byte outside the Signature stays as given."""
    encoding = _Encoding(
        "utf-16-le" if data.startswith(b"\xff\xfe") else
        "utf-16-be" if data.startswith(b"\xfe\xff") else None
    )  # fmt: skip
    parser = expat.ParserCreate(namespace_separator=" ")
    path: list[str] = []
    found: list[int] = []

    def start(name: str, _attributes: object) -> None:
        path.append(name.rpartition(" ")[2])

    def end(name: str) -> None:
        if path == ["edXML", "edXMLEnvelope", "edXMLHeader"] and not found:
            found.append(parser.CurrentByteIndex)
        path.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise EnvelopeError(
            Problem(
                ProblemCode.MALFORMED,
                f"The packet cannot be signed in place ({error}); write it in UTF-8.",
            )
        ) from None
    index = found[0] if found else -1
    closing = "</".encode(encoding.utf16) if encoding.utf16 else b"</"
    if index < 0 or data[index : index + len(closing)] != closing:
        raise EnvelopeError(
            Problem(
                ProblemCode.MISSING_ELEMENT,
                "edXMLHeader has no end tag to put the Signature before (it is missing, or "
                "written as an empty element).",
            )
        )
    return HeaderEnd(index, encoding)


def signature_method_for(key: PrivateKey, certificate: x509.Certificate) -> SignatureMethod:
    """The signature method `key` signs with, once it is known to suit (RSA >= 2048 bits or
    ECDSA P-256, and the key of `certificate`); `KEY_UNSUITABLE` otherwise."""
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, public) != certificate.public_key().public_bytes(
        der, public
    ):
        raise SignatureError(
            SignatureCode.KEY_UNSUITABLE,
            "The private key does not belong to the certificate; give the key the certificate "
            "was issued for.",
        )
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise SignatureError(
                SignatureCode.KEY_UNSUITABLE,
                f"The RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} are required.",
            )
        return SignatureMethod.RSA_SHA256
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return SignatureMethod.ECDSA_SHA256
    raise SignatureError(
        SignatureCode.KEY_UNSUITABLE,
        f"Packets are signed with RSA or ECDSA P-256 keys, not {type(key).__name__} "
        f"({getattr(getattr(key, 'curve', None), 'name', '')}).",
    )


def _append_placeholder(header: etree._Element) -> None:
    """Where signxml puts the signature: last in edXMLHeader, with no whitespace of its own, so
    the canonical packet without it is the canonical packet given; the Signature is then put
    into the given bytes at the same place (`header_end`), and no other byte changes."""
    placeholder = etree.SubElement(header, f"{{{XMLDSIG_NS}}}Signature", nsmap={"ds": XMLDSIG_NS})
    placeholder.set("Id", "placeholder")
