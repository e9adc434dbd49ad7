"""A test PKI built once per session: a trusted CA, agencies' certificates in every state the
trust store must judge (current, expired, not yet valid, revoked, rotated), and a foreign CA."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from lxml import etree

from axis.devtools.dev_pki import Issued, KeyType, issue, key_pem, new_authority
from envelopes.safe_parsing import safe_parser
from signing.certificates import pem, serial_hex
from signing.signer import sign_packet
from signing.trust import Authorization, Revocation, TrustStore
from signing.verification import PacketVerifier

H53 = "000.00.12.H53"
"""The sender of the document sample (Sở KH&CN Tây Ninh)."""
H41 = "000.00.00.H41"
"""The sender of the status sample (UBND tỉnh Nghệ An)."""
G22 = "000.00.00.G22"
"""Another agency (Văn phòng Chính phủ), to sign what is not its own."""

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""The signing time the tests judge packets at (certificates are placed around it)."""
DAY = timedelta(days=1)


@dataclass
class Pki:
    ca: Issued
    h53: Issued
    h53_ec: Issued
    h41: Issued
    g22: Issued
    expired: Issued
    not_yet_valid: Issued
    revoked: Issued
    rotated_old: Issued
    rotated_new: Issued
    foreign_ca: Issued
    foreign: Issued
    revocations: list[Revocation] = field(default_factory=list)

    @property
    def rotation_switch(self) -> datetime:
        """When the old H53 certificate stops being authorized (the new one started earlier)."""
        return NOW + 10 * DAY

    def store(self, *, extra: tuple[Authorization, ...] = ()) -> TrustStore:
        """The trust store every test starts from: the CA, each agency authorized for its own
        code, the rotated pair overlapping, the foreign certificate authorized (its CA is not
        trusted) and one revocation."""
        grants = [
            Authorization.for_certificate(H53, self.h53.certificate),
            Authorization.for_certificate(H53, self.h53_ec.certificate),
            Authorization.for_certificate(H41, self.h41.certificate),
            Authorization.for_certificate(G22, self.g22.certificate),
            Authorization.for_certificate(H53, self.expired.certificate),
            Authorization.for_certificate(H53, self.not_yet_valid.certificate),
            Authorization.for_certificate(H53, self.revoked.certificate),
            Authorization.for_certificate(
                H53, self.rotated_old.certificate, not_after=self.rotation_switch
            ),
            Authorization.for_certificate(
                H53, self.rotated_new.certificate, not_before=NOW - 5 * DAY
            ),
            Authorization.for_certificate(H53, self.foreign.certificate),
            *extra,
        ]
        return TrustStore.of([self.ca.certificate], grants, self.revocations)

    def verifier(self, **kwargs: object) -> PacketVerifier:
        return PacketVerifier(self.store(), **kwargs)  # type: ignore[arg-type]

    def write(self, directory: Path, name: str, issued: Issued) -> tuple[Path, Path]:
        """`name.pem` and `name.key` in `directory` (for the CLI and xmlsec1)."""
        certificate, key = directory / f"{name}.pem", directory / f"{name}.key"
        certificate.write_bytes(pem(issued.certificate))
        key.write_bytes(key_pem(issued.key))
        return certificate, key


def build_pki() -> Pki:
    ca = new_authority("Axis test CA", not_before=NOW - 400 * DAY)
    foreign_ca = new_authority("Somebody else's CA", not_before=NOW - 400 * DAY)

    def agency(code: str, start: datetime, end: datetime, **kwargs: object) -> Issued:
        return issue(ca, code, not_before=start, not_after=end, **kwargs)  # type: ignore[arg-type]

    current = (NOW - 30 * DAY, NOW + 300 * DAY)
    revoked = agency(H53, *current)
    pki = Pki(
        ca=ca,
        h53=agency(H53, *current),
        h53_ec=agency(H53, *current, key_type=KeyType.EC),
        h41=agency(H41, *current),
        g22=agency(G22, *current),
        expired=agency(H53, NOW - 400 * DAY, NOW - DAY),
        not_yet_valid=agency(H53, NOW + DAY, NOW + 300 * DAY),
        revoked=revoked,
        rotated_old=agency(H53, NOW - 300 * DAY, NOW + 60 * DAY),
        rotated_new=agency(H53, *current),
        foreign_ca=foreign_ca,
        foreign=issue(foreign_ca, H53, not_before=current[0], not_after=current[1]),
    )
    pki.revocations.append(
        Revocation(serial_hex(revoked.certificate.serial_number), NOW - 2 * DAY, "key compromise")
    )
    return pki


def signed(data: bytes, issued: Issued) -> bytes:
    return sign_packet(data, issued.key, issued.certificate)


def certificate_text(certificate: x509.Certificate) -> str:
    """The base64 DER of a certificate, as X509Certificate carries it."""
    return "".join(pem(certificate).decode().splitlines()[1:-1])


def tree(data: bytes) -> etree._Element:
    root: etree._Element = etree.fromstring(data, safe_parser())
    return root


def to_bytes(root: etree._Element) -> bytes:
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return result
