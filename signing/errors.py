"""The refusals of the signing package: one machine code per reason, each with a sentence."""

from __future__ import annotations

from enum import StrEnum

from envelopes.errors import PacketRefusal


class SignatureCode(StrEnum):
    """The `code` of a `SignatureError`: stable strings that callers, logs and status packets
    match on. The sentence that goes with each says what to do about it."""

    # The signature is absent or cannot be checked at all.
    MISSING = "SIGNATURE_MISSING"
    """The packet carries no Signature element."""
    NOT_XMLDSIG = "SIGNATURE_NOT_XMLDSIG"
    """A Signature element outside the XML-DSig namespace (a legacy quirk): not verifiable."""
    MALFORMED = "SIGNATURE_MALFORMED"
    """The Signature element does not follow XML-DSig (missing parts, bad base64)."""
    CERT_UNREADABLE = "SIGNATURE_CERT_UNREADABLE"
    """KeyInfo carries no X.509 certificate, or one that cannot be read (e.g. truncated)."""

    # The shape of the signature is refused before any cryptography is done.
    MULTIPLE = "SIGNATURE_MULTIPLE"
    """More than one Signature element."""
    REFERENCE_FORBIDDEN = "SIGNATURE_REFERENCE_FORBIDDEN"
    """A Reference to anything but the whole document (`URI=""`), or more than one Reference."""
    TRANSFORM_FORBIDDEN = "SIGNATURE_TRANSFORM_FORBIDDEN"
    """A transform other than enveloped-signature and canonicalization (XPath, XSLT, base64)."""
    ALGORITHM_FORBIDDEN = "SIGNATURE_ALGORITHM_FORBIDDEN"
    """A signature, digest or canonicalization algorithm the policy does not allow."""
    WRAPPING = "SIGNATURE_WRAPPING"
    """The packet has the shape of a signature-wrapping attack: duplicated structure, content
    hidden inside the Signature, or a Signature away from the end of edXMLHeader."""

    # The cryptography does not hold.
    DIGEST_MISMATCH = "SIGNATURE_DIGEST_MISMATCH"
    """The packet was changed after it was signed."""
    VALUE_MISMATCH = "SIGNATURE_VALUE_MISMATCH"
    """The SignatureValue was not made by the certificate's key over this SignedInfo."""

    # The signer is not trusted for this packet, at this time.
    CERT_UNKNOWN = "SIGNATURE_CERT_UNKNOWN"
    """The certificate is not in the trust store for any organization code."""
    ISSUER_UNTRUSTED = "SIGNATURE_ISSUER_UNTRUSTED"
    """The certificate was not issued by a certificate authority of the trust store."""
    CERT_NOT_YET_VALID = "SIGNATURE_CERT_NOT_YET_VALID"
    """The certificate (or its authorization) starts after the signing time."""
    CERT_EXPIRED = "SIGNATURE_CERT_EXPIRED"
    """The certificate (or its authorization) ended before the signing time."""
    CERT_REVOKED = "SIGNATURE_CERT_REVOKED"
    """The certificate's serial number was revoked before the signing time."""
    NOT_AUTHORIZED = "SIGNATURE_NOT_AUTHORIZED"
    """The certificate may not sign for the packet's From code."""

    # Signing refused.
    ALREADY_SIGNED = "SIGNATURE_ALREADY_SIGNED"
    """Signing a packet that already carries a Signature."""
    KEY_UNSUITABLE = "SIGNATURE_KEY_UNSUITABLE"
    """The key is not RSA or ECDSA P-256, or does not match the certificate."""
    NODE_KEY_MISSING = "NODE_KEY_MISSING"
    """The node signs for this client (`node-signs`) but holds no key for the From code."""


class SignatureError(PacketRefusal):
    """A packet's signature is refused (or a packet cannot be signed).

    `code` is machine-readable; `message` is a sentence a clerk or integrator can act on.
    """

    def __init__(self, code: SignatureCode, message: str) -> None:
        super().__init__(f"{code} {message}")
        self._code = code
        self._message = message

    @property
    def code(self) -> SignatureCode:
        return self._code

    @property
    def message(self) -> str:
        return self._message


class TrustError(Exception):
    """Trust material is refused (a certificate that cannot be added, a file that cannot be
    read). `code` is machine-readable; `message` says what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
