"""Detached signatures over arbitrary bytes (files that are not packets), and their checking."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from signxml.algorithms import SignatureMethod

from signing.certificates import PrivateKey, describe, fingerprint, pem
from signing.errors import SignatureCode, SignatureError

# Packets and files follow one rule (and one sentence) for which keys may sign and when a
# certificate is valid.
from signing.signer import signature_method_for
from signing.trust import check_window

RSA_SHA256 = "rsa-sha256"
"""RSA PKCS#1 v1.5 over SHA-256."""
ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
"""ECDSA on P-256 over SHA-256; the value is DER-encoded (r, s), as `cryptography` makes it."""
ALGORITHMS = frozenset({RSA_SHA256, ECDSA_P256_SHA256})

_BY_METHOD = {
    SignatureMethod.RSA_SHA256: RSA_SHA256,
    SignatureMethod.ECDSA_SHA256: ECDSA_P256_SHA256,
}
_FIELDS = ("algorithm", "certificate", "value")


@dataclass(frozen=True, slots=True)
class DetachedSignature:
    """A signature kept beside the file it signs: the algorithm, the signer's certificate and
    the signature value."""

    algorithm: str
    certificate: x509.Certificate
    value: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "algorithm": self.algorithm,
            "certificate": pem(self.certificate).decode("ascii"),
            "value": base64.b64encode(self.value).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: object) -> DetachedSignature:
        """The signature `to_json` wrote (once parsed from JSON). Its shape is checked here; the
        algorithm is judged by `verify_detached`, so a forged one is refused as forbidden."""
        if not isinstance(data, dict):
            raise SignatureError(
                SignatureCode.MALFORMED,
                f"The detached signature is a JSON {type(data).__name__}, not an object with "
                f"the fields {', '.join(_FIELDS)}; ask the signer for the signature file again.",
            )
        missing = [name for name in _FIELDS if name not in data]
        extra = sorted(str(name) for name in data if name not in _FIELDS)
        if missing or extra:
            problems = []
            if missing:
                problems.append(f"lacks {', '.join(missing)}")
            if extra:
                problems.append(f"has unexpected {', '.join(extra)}")
            raise SignatureError(
                SignatureCode.MALFORMED,
                f"The detached signature {' and '.join(problems)}; it must have exactly the "
                f"fields {', '.join(_FIELDS)}. Ask the signer for the signature file again.",
            )
        for name in _FIELDS:
            if not isinstance(data[name], str) or not data[name]:
                raise SignatureError(
                    SignatureCode.MALFORMED,
                    f"The detached signature's {name} must be a non-empty string, not "
                    f"{data[name]!r}; ask the signer for the signature file again.",
                )
        algorithm: str = data["algorithm"]
        certificate_text: str = data["certificate"]
        value_text: str = data["value"]
        try:
            value = base64.b64decode(value_text, validate=True)
        except (binascii.Error, ValueError) as error:
            raise SignatureError(
                SignatureCode.MALFORMED,
                f"The detached signature's value is not base64 ({error}); the signature file "
                "was damaged, ask the signer for it again.",
            ) from None
        return cls(algorithm, _certificate_from_pem(certificate_text), value)


def sign_detached(data: bytes, key: PrivateKey, certificate: x509.Certificate) -> DetachedSignature:
    """A signature over `data` with `key`, whose certificate is `certificate`: rsa-sha256 for RSA
    keys, ecdsa-p256-sha256 for P-256 keys. `KEY_UNSUITABLE` for any other key, or one that does
    not belong to the certificate."""
    algorithm = _BY_METHOD[signature_method_for(key, certificate)]
    if isinstance(key, rsa.RSAPrivateKey):
        value = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:  # `signature_method_for` has let through only RSA and P-256 keys
        value = key.sign(data, ec.ECDSA(hashes.SHA256()))
    return DetachedSignature(algorithm, certificate, value)


def verify_detached(
    data: bytes,
    signature: DetachedSignature,
    trusted: Sequence[x509.Certificate],
    *,
    at: datetime,
) -> x509.Certificate:
    """The signer's certificate, once `signature` holds over `data`, was made with one of the
    `trusted` certificates (the configured authority) and that certificate is valid at `at`;
    raises `SignatureError` with the reason otherwise."""
    if at.tzinfo is None:
        raise ValueError("the verification time must be time-zone aware")
    certificate = signature.certificate
    if fingerprint(certificate) not in {fingerprint(c) for c in trusted}:
        configured = "; ".join(describe(c) for c in trusted) or "none is configured"
        raise SignatureError(
            SignatureCode.CERT_UNKNOWN,
            f"The file is signed with the certificate {describe(certificate)}, which is not the "
            f"configured authority certificate (configured: {configured}). Get the file signed "
            "by the authority, or, if the authority changed its certificate, configure the new "
            "one.",
        )
    check_window(
        "The certificate",
        certificate,
        certificate.not_valid_before_utc,
        certificate.not_valid_after_utc,
        at,
    )
    _check_algorithm(signature.algorithm, certificate)
    public = certificate.public_key()  # `_check_algorithm` has let through RSA and P-256 only
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature.value, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature.value, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureError(
            SignatureCode.VALUE_MISMATCH,
            "The signature does not match the file: the file was changed after it was signed, "
            f"or it was signed by another key than that of {describe(certificate)}. Fetch the "
            "file and its signature again from the authority.",
        ) from None
    return certificate


def _check_algorithm(algorithm: str, certificate: x509.Certificate) -> None:
    """Refuse an algorithm outside the two allowed, or one the certificate's key cannot make."""
    if algorithm not in ALGORITHMS:
        raise SignatureError(
            SignatureCode.ALGORITHM_FORBIDDEN,
            f"The signature algorithm {algorithm!r} is not accepted; a detached signature is "
            f"{RSA_SHA256} or {ECDSA_P256_SHA256}. Ask the signer of {describe(certificate)} to "
            "sign the file again with one of them.",
        )
    public = certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        expected = RSA_SHA256
    elif isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        expected = ECDSA_P256_SHA256
    else:
        raise SignatureError(
            SignatureCode.ALGORITHM_FORBIDDEN,
            f"The certificate {describe(certificate)} holds a {type(public).__name__} key, "
            "which cannot make an accepted detached signature (RSA or ECDSA P-256 only). "
            "Configure an authority certificate with such a key.",
        )
    if algorithm != expected:
        raise SignatureError(
            SignatureCode.ALGORITHM_FORBIDDEN,
            f"The signature claims {algorithm}, but the key of {describe(certificate)} can only "
            f"make {expected}; the algorithm was altered or the signature file was assembled "
            "wrongly. Ask the signer for the signature file again.",
        )


def _certificate_from_pem(text: str) -> x509.Certificate:
    try:
        certificates = x509.load_pem_x509_certificates(text.encode("utf-8"))
    except ValueError as error:
        raise SignatureError(
            SignatureCode.CERT_UNREADABLE,
            f"The detached signature's certificate is not a readable PEM certificate ({error}); "
            "it must be one certificate beginning with -----BEGIN CERTIFICATE-----. Ask the "
            "signer for the signature file again.",
        ) from None
    if len(certificates) != 1:
        raise SignatureError(
            SignatureCode.CERT_UNREADABLE,
            f"The detached signature carries {len(certificates)} certificates; it must carry "
            "exactly one, the signer's. Ask the signer for the signature file again.",
        )
    return certificates[0]
