"""X.509 certificates and private keys as the node handles them: loading PEM, naming, the
organization code a certificate's subject carries, and whether one certificate issued another."""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from signing.errors import TrustError

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
"""The keys a packet may be signed with: RSA (2048 bits or more) or ECDSA on P-256."""

ORG_CODE_ATTRIBUTE = NameOID.USER_ID
"""The subject attribute (UID, 0.9.2342.19200300.100.1.1) that names the organization code a
certificate speaks for. Authorization itself comes from the trust store, never from the subject:
the subject only tells a person which agency a certificate was issued to."""


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What the node shows and stores about a certificate."""

    fingerprint: str
    """SHA-256 of the DER encoding, lower-case hex: the certificate's identity in the store."""
    serial: str
    """Serial number, lower-case hex without leading zeros: what a revocation names."""
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    subject_code: str | None
    """The organization code in the subject (UID), when there is one."""


def facts(certificate: x509.Certificate) -> CertificateFacts:
    return CertificateFacts(
        fingerprint=fingerprint(certificate),
        serial=serial_hex(certificate.serial_number),
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        subject_code=subject_code(certificate),
    )


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def serial_hex(serial: int) -> str:
    return format(serial, "x")


def parse_serial(text: str) -> str:
    """A serial number as written by people (hex, with or without `0x`, colons or spaces) in the
    form the store keeps; `TRUST_BAD_SERIAL` if it is not hexadecimal."""
    cleaned = text.strip().lower().removeprefix("0x").replace(":", "").replace(" ", "")
    try:
        return serial_hex(int(cleaned, 16))
    except ValueError:
        raise TrustError(
            "TRUST_BAD_SERIAL",
            f"{text!r} is not a certificate serial number; write it in hexadecimal as "
            "`openssl x509 -serial` prints it (for example 4F3A...).",
        ) from None


def describe(certificate: x509.Certificate) -> str:
    """How a sentence names a certificate: its subject and serial number."""
    return (
        f"{certificate.subject.rfc4514_string()} (serial {serial_hex(certificate.serial_number)})"
    )


def subject_code(certificate: x509.Certificate) -> str | None:
    values = certificate.subject.get_attributes_for_oid(ORG_CODE_ATTRIBUTE)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def is_issued_by(certificate: x509.Certificate, authority: x509.Certificate) -> bool:
    """Whether `authority` signed `certificate` (issuer name and signature both match)."""
    try:
        certificate.verify_directly_issued_by(authority)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def certificate_from_base64(text: str) -> x509.Certificate:
    """The certificate in an `X509Certificate` element's text (see `_read_certificate`); the
    same certificate comes in packet after packet, so one of a usual size is read once and kept
    (a bounded cache: a flood of odd certificates costs at most its own reading)."""
    flat = "".join(text.split())
    if len(flat) > _CACHED_CHARS:
        return _read_certificate(flat)
    return _cached_certificate(flat)


_CACHED_CHARS = 8192
"""A real certificate's base64 is 1-3 KB."""


def _read_certificate(text: str) -> x509.Certificate:
    """The certificate in an `X509Certificate` element's text (base64 DER); ValueError when it is
    not one, for example when it was truncated or one character of it was changed.

    `cryptography` reads a certificate's fields only when they are asked for, so a certificate
    whose subject is damaged loads fine and fails later, wherever a sentence names it. Every
    field the node reads is read here, once, so that nothing after this can fail on it."""
    try:
        der = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"not base64 ({error})") from None
    try:
        certificate = x509.load_der_x509_certificate(der)
        certificate.subject.rfc4514_string()
        certificate.issuer.rfc4514_string()
        subject_code(certificate)
        _ = (certificate.serial_number, certificate.not_valid_before_utc)
        _ = certificate.not_valid_after_utc
        certificate.public_key()
        _ = certificate.signature_hash_algorithm
        list(certificate.extensions)
    except Exception as error:  # hostile DER: cryptography's failures are many
        # (ValueError, InvalidVersion, KeyError on an unknown name type, ...); all mean the same.
        raise ValueError(
            f"the certificate cannot be read ({type(error).__name__}: {error})"
        ) from None
    return certificate


_cached_certificate = functools.lru_cache(maxsize=512)(_read_certificate)


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM file (a bundle may hold several)."""
    data = _read(path)
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as error:
        raise TrustError(
            "TRUST_BAD_CERTIFICATE",
            f"{path} holds no readable PEM certificate ({error}); give a file that begins with "
            "-----BEGIN CERTIFICATE-----.",
        ) from None
    return certificates


def load_certificate(path: Path) -> x509.Certificate:
    """The one certificate in a PEM file."""
    certificates = load_certificates(path)
    if len(certificates) != 1:
        raise TrustError(
            "TRUST_BAD_CERTIFICATE",
            f"{path} holds {len(certificates)} certificates; give a file with exactly one.",
        )
    return certificates[0]


def load_private_key(path: Path, password: bytes | None = None) -> PrivateKey:
    data = _read(path)
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as error:
        raise TrustError(
            "TRUST_BAD_KEY",
            f"{path} holds no readable PEM private key ({error}).",
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TrustError(
            "TRUST_BAD_KEY",
            f"{path} holds a {type(key).__name__}; packets are signed with RSA or ECDSA P-256 "
            "keys.",
        )
    return key


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def pem_bundle(certificates: Iterable[x509.Certificate]) -> bytes:
    return b"".join(pem(c) for c in certificates)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise TrustError(
            "TRUST_FILE_UNREADABLE",
            f"The file {path} cannot be read ({error.strerror or error}).",
        ) from None
