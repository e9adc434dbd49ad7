"""A development PKI: a certificate authority and one certificate per organization code, for
demos and tests. Never for production: the keys are written unencrypted.

`write_dev_pki(DIR, codes)` writes `ca.pem`/`ca.key` (reused when already there, so codes can be
added to a directory later) and `{code}.pem`/`{code}.key` per code. Such a directory is also trust
material (`trust_files.load_trust_directory`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.certificates import (
    ORG_CODE_ATTRIBUTE,
    PrivateKey,
    load_certificate,
    load_private_key,
    pem,
)
from signing.trust_files import CA_FILE, check_code

CA_KEY_FILE = "ca.key"
"""What may name a certificate file: organization codes of either format fit; paths do not."""


class KeyType(StrEnum):
    RSA = "rsa"
    EC = "ec"


@dataclass(frozen=True, slots=True)
class Issued:
    key: PrivateKey
    certificate: x509.Certificate


def new_key(key_type: KeyType = KeyType.RSA) -> PrivateKey:
    if key_type is KeyType.EC:
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def new_authority(
    name: str = "Axis development CA",
    *,
    key_type: KeyType = KeyType.RSA,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> Issued:
    key = new_key(key_type)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Axis development PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    start, end = _window(not_before, not_after, timedelta(days=3650))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, certificate)


def issue(
    authority: Issued,
    code: str,
    *,
    name: str | None = None,
    key_type: KeyType = KeyType.RSA,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    serial: int | None = None,
) -> Issued:
    """A signing certificate for `code`, issued by `authority` (the code is the subject's UID)."""
    key = new_key(key_type)
    certificate = certify(
        authority, code, key.public_key(), name=name, not_before=not_before,
        not_after=not_after, serial=serial,
    )  # fmt: skip
    return Issued(key, certificate)


def certify(
    authority: Issued,
    code: str,
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    *,
    name: str | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    serial: int | None = None,
) -> x509.Certificate:
    """A signing certificate for `code` and a key made elsewhere (a hardware token's, whose
    private half never leaves it), issued by `authority`."""
    check_code(code)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Axis development PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, name or f"Agency {code}"),
            x509.NameAttribute(ORG_CODE_ATTRIBUTE, code),
        ]
    )
    start, end = _window(not_before, not_after, timedelta(days=730))
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(authority.certificate.subject)
        .public_key(public_key)
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                authority.certificate.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
        .sign(authority.key, hashes.SHA256())
    )


def write_dev_pki(
    directory: Path, codes: list[str], *, key_type: KeyType = KeyType.RSA, days: int = 730
) -> list[Path]:
    """Write (or extend) a development PKI in `directory`; the files written, in order."""
    for code in codes:
        check_code(code)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    ca_path, ca_key_path = directory / CA_FILE, directory / CA_KEY_FILE
    if ca_path.exists() and ca_key_path.exists():
        authority = Issued(load_private_key(ca_key_path), load_certificate(ca_path))
    else:
        authority = new_authority(key_type=key_type)
        written += _write(directory, "ca", authority)
    for code in codes:
        end = datetime.now(UTC) + timedelta(days=days)
        written += _write(directory, code, issue(authority, code, key_type=key_type, not_after=end))
    return written


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(directory: Path, stem: str, issued: Issued) -> list[Path]:
    certificate_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    certificate_path.write_bytes(pem(issued.certificate))
    # The key is readable by its owner only, from the moment it exists.
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem(issued.key))
    return [certificate_path, key_path]


def _window(
    not_before: datetime | None, not_after: datetime | None, default_length: timedelta
) -> tuple[datetime, datetime]:
    start = not_before or datetime.now(UTC) - timedelta(hours=1)
    return start, not_after or start + default_length


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
