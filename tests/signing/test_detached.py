"""Detached signatures over files: round trips with RSA and ECDSA, their JSON form, and every
reason a signature or a signing key is refused."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from axis.devtools.dev_pki import Issued
from signing.detached import (
    ECDSA_P256_SHA256,
    RSA_SHA256,
    DetachedSignature,
    sign_detached,
    verify_detached,
)
from signing.errors import SignatureCode, SignatureError
from tests.support.pki import DAY, NOW, Pki

SNAPSHOT = b'{"codes": [{"code": "000.00.12.H53", "name": "S\xe1\xbb\x9f KH&CN T\xc3\xa2y Ninh"}]}'


def refusal(
    data: bytes, signature: DetachedSignature, trusted: list[x509.Certificate]
) -> SignatureError:
    with pytest.raises(SignatureError) as refused:
        verify_detached(data, signature, trusted, at=NOW)
    assert refused.value.message  # every refusal says why, in a sentence
    return refused.value


def self_signed(key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Odd key")])
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + DAY)
        .sign(key, algorithm)
    )


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signer", "algorithm"), [("h53", RSA_SHA256), ("h53_ec", ECDSA_P256_SHA256)]
)
def test_a_signed_file_verifies_against_its_authority(
    pki: Pki, signer: str, algorithm: str
) -> None:
    issued: Issued = getattr(pki, signer)
    signature = sign_detached(SNAPSHOT, issued.key, issued.certificate)
    assert signature.algorithm == algorithm
    trusted = [pki.h41.certificate, issued.certificate]
    assert verify_detached(SNAPSHOT, signature, trusted, at=NOW) == issued.certificate


@pytest.mark.parametrize("signer", ["h53", "h53_ec"])
def test_the_json_form_round_trips_and_still_verifies(pki: Pki, signer: str) -> None:
    issued: Issued = getattr(pki, signer)
    signature = sign_detached(SNAPSHOT, issued.key, issued.certificate)
    written = signature.to_json()
    assert set(written) == {"algorithm", "certificate", "value"}
    assert written["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    read = DetachedSignature.from_json(json.loads(json.dumps(written)))
    assert read == signature
    assert verify_detached(SNAPSHOT, read, [issued.certificate], at=NOW) == issued.certificate


# -- the cryptography does not hold -----------------------------------------------------------


@pytest.mark.parametrize("signer", ["h53", "h53_ec"])
def test_one_changed_byte_is_a_value_mismatch(pki: Pki, signer: str) -> None:
    issued: Issued = getattr(pki, signer)
    signature = sign_detached(SNAPSHOT, issued.key, issued.certificate)
    changed = bytearray(SNAPSHOT)
    changed[10] ^= 0x01
    error = refusal(bytes(changed), signature, [issued.certificate])
    assert error.code is SignatureCode.VALUE_MISMATCH
    assert "changed after it was signed" in error.message


def test_a_value_made_by_another_key_under_the_authority_certificate_is_a_mismatch(
    pki: Pki,
) -> None:
    by_other = sign_detached(SNAPSHOT, pki.h41.key, pki.h41.certificate)
    claimed = replace(by_other, certificate=pki.h53.certificate)
    error = refusal(SNAPSHOT, claimed, [pki.h53.certificate])
    assert error.code is SignatureCode.VALUE_MISMATCH


# -- the signer is not the authority, or not at that time -------------------------------------


def test_a_certificate_that_is_not_the_configured_authority_is_unknown(pki: Pki) -> None:
    signature = sign_detached(SNAPSHOT, pki.foreign.key, pki.foreign.certificate)
    error = refusal(SNAPSHOT, signature, [pki.h53.certificate])
    assert error.code is SignatureCode.CERT_UNKNOWN
    assert "not the configured authority" in error.message
    assert pki.foreign.certificate.subject.rfc4514_string() in error.message


def test_with_no_authority_configured_every_signer_is_unknown(pki: Pki) -> None:
    signature = sign_detached(SNAPSHOT, pki.h53.key, pki.h53.certificate)
    assert refusal(SNAPSHOT, signature, []).code is SignatureCode.CERT_UNKNOWN


@pytest.mark.parametrize(
    ("signer", "code"),
    [
        ("expired", SignatureCode.CERT_EXPIRED),
        ("not_yet_valid", SignatureCode.CERT_NOT_YET_VALID),
    ],
)
def test_a_trusted_certificate_outside_its_validity_is_refused(
    pki: Pki, signer: str, code: SignatureCode
) -> None:
    issued: Issued = getattr(pki, signer)
    signature = sign_detached(SNAPSHOT, issued.key, issued.certificate)
    assert refusal(SNAPSHOT, signature, [issued.certificate]).code is code


def test_the_verification_time_must_be_time_zone_aware(pki: Pki) -> None:
    signature = sign_detached(SNAPSHOT, pki.h53.key, pki.h53.certificate)
    with pytest.raises(ValueError, match="time-zone aware"):
        verify_detached(SNAPSHOT, signature, [pki.h53.certificate], at=NOW.replace(tzinfo=None))


def test_the_validity_bounds_are_the_certificate_s_own(pki: Pki) -> None:
    certificate = pki.h53.certificate
    signature = sign_detached(SNAPSHOT, pki.h53.key, certificate)
    last = certificate.not_valid_after_utc
    assert verify_detached(SNAPSHOT, signature, [certificate], at=last) == certificate
    with pytest.raises(SignatureError) as refused:
        verify_detached(SNAPSHOT, signature, [certificate], at=last + timedelta(seconds=1))
    assert refused.value.code is SignatureCode.CERT_EXPIRED


# -- forbidden algorithms ---------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["rsa-sha1", "hmac-sha256", "RSA-SHA256", "none"])
def test_an_algorithm_outside_the_two_allowed_is_forbidden(pki: Pki, algorithm: str) -> None:
    signature = replace(
        sign_detached(SNAPSHOT, pki.h53.key, pki.h53.certificate), algorithm=algorithm
    )
    error = refusal(SNAPSHOT, signature, [pki.h53.certificate])
    assert error.code is SignatureCode.ALGORITHM_FORBIDDEN


@pytest.mark.parametrize(
    ("signer", "claimed"), [("h53", ECDSA_P256_SHA256), ("h53_ec", RSA_SHA256)]
)
def test_an_algorithm_the_certificate_key_cannot_make_is_forbidden(
    pki: Pki, signer: str, claimed: str
) -> None:
    issued: Issued = getattr(pki, signer)
    signature = replace(sign_detached(SNAPSHOT, issued.key, issued.certificate), algorithm=claimed)
    error = refusal(SNAPSHOT, signature, [issued.certificate])
    assert error.code is SignatureCode.ALGORITHM_FORBIDDEN
    assert "can only make" in error.message


def test_a_trusted_certificate_with_an_unsuitable_key_is_forbidden() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    certificate = self_signed(key)
    signature = DetachedSignature(RSA_SHA256, certificate, key.sign(SNAPSHOT))
    error = refusal(SNAPSHOT, signature, [certificate])
    assert error.code is SignatureCode.ALGORITHM_FORBIDDEN


# -- the JSON form is refused when it is not one ----------------------------------------------


def _written(pki: Pki) -> dict[str, str]:
    return sign_detached(SNAPSHOT, pki.h53.key, pki.h53.certificate).to_json()


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda d: d.pop("value"), SignatureCode.MALFORMED),
        (lambda d: d.pop("certificate"), SignatureCode.MALFORMED),
        (lambda d: d.pop("algorithm"), SignatureCode.MALFORMED),
        (lambda d: d.update(comment="x"), SignatureCode.MALFORMED),
        (lambda d: d.update(value=42), SignatureCode.MALFORMED),
        (lambda d: d.update(algorithm=""), SignatureCode.MALFORMED),
        (lambda d: d.update(value="not base64!"), SignatureCode.MALFORMED),
        (lambda d: d.update(value=d["value"][:-1]), SignatureCode.MALFORMED),
        (lambda d: d.update(certificate="garbage"), SignatureCode.CERT_UNREADABLE),
        (lambda d: d.update(certificate=d["certificate"][:200]), SignatureCode.CERT_UNREADABLE),
        (lambda d: d.update(certificate=d["certificate"] * 2), SignatureCode.CERT_UNREADABLE),
    ],
    ids=[
        "missing-value",
        "missing-certificate",
        "missing-algorithm",
        "extra-field",
        "value-not-a-string",
        "empty-algorithm",
        "bad-base64",
        "truncated-base64",
        "garbage-certificate",
        "truncated-certificate",
        "two-certificates",
    ],
)
def test_a_damaged_json_form_is_refused(pki: Pki, edit: object, code: SignatureCode) -> None:
    data: dict[str, object] = dict(_written(pki))
    edit(data)  # type: ignore[operator]
    with pytest.raises(SignatureError) as refused:
        DetachedSignature.from_json(data)
    assert refused.value.code is code
    assert refused.value.message


@pytest.mark.parametrize("data", [None, [], "signature", 3])
def test_json_that_is_not_an_object_is_malformed(data: object) -> None:
    with pytest.raises(SignatureError) as refused:
        DetachedSignature.from_json(data)
    assert refused.value.code is SignatureCode.MALFORMED


def test_a_forged_algorithm_survives_reading_and_is_forbidden_at_verification(pki: Pki) -> None:
    written = _written(pki) | {"algorithm": "rsa-md5"}
    signature = DetachedSignature.from_json(written)
    error = refusal(SNAPSHOT, signature, [pki.h53.certificate])
    assert error.code is SignatureCode.ALGORITHM_FORBIDDEN


# -- signing refused --------------------------------------------------------------------------


def test_a_key_that_does_not_belong_to_the_certificate_is_unsuitable(pki: Pki) -> None:
    with pytest.raises(SignatureError) as refused:
        sign_detached(SNAPSHOT, pki.h53.key, pki.h41.certificate)
    assert refused.value.code is SignatureCode.KEY_UNSUITABLE


@pytest.mark.parametrize(
    "key",
    [ed25519.Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP384R1())],
    ids=["ed25519", "ecdsa-p384"],
)
def test_a_key_other_than_rsa_or_p256_is_unsuitable(key: object) -> None:
    certificate = self_signed(key)  # type: ignore[arg-type]
    with pytest.raises(SignatureError) as refused:
        sign_detached(SNAPSHOT, key, certificate)  # type: ignore[arg-type]
    assert refused.value.code is SignatureCode.KEY_UNSUITABLE


def test_the_signature_value_is_base64_of_the_raw_value(pki: Pki) -> None:
    signature = sign_detached(SNAPSHOT, pki.h53.key, pki.h53.certificate)
    assert base64.b64decode(signature.to_json()["value"]) == signature.value
    assert len(signature.value) == 256  # RSA-2048: the raw PKCS#1 value, no wrapping
