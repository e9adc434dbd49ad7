"""The trust store: which certificate may sign for which organization code, and when.

Three kinds of fact, all time-aware so that a packet is judged as of the time it was signed:
- *authorities*: the certificate authorities (the Government CA and its sub-CAs) whose
  certificates the node accepts at all;
- *authorizations*: certificate X may sign for code C from T1 to T2. During a rotation the old
  and the new certificate of an agency are both authorized for overlapping windows;
- *revocations*: the serial number S is revoked from time R on (a packet verified as of a time
  before R, for example when an old delivery is proven, still holds).

The store is a plain value: built from the database or from PEM files at the edges, consulted
here without I/O. Authorization comes only from the store, never from what a certificate's
subject says about itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509

from signing.certificates import (
    CertificateFacts,
    describe,
    facts,
    fingerprint,
    is_issued_by,
    serial_hex,
)
from signing.errors import SignatureCode, SignatureError

NOTICE_SIGNER = "axis-notices"
"""The code an axis node's own certificate is authorized for: it may sign the 02 notices the
node writes From a recipient that could not be reached, and nothing else."""


@dataclass(frozen=True, slots=True)
class Authorization:
    """Certificate `certificate` may sign for `code` from `not_before` to `not_after`."""

    code: str
    certificate: x509.Certificate
    not_before: datetime
    not_after: datetime

    @classmethod
    def for_certificate(
        cls,
        code: str,
        certificate: x509.Certificate,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> Authorization:
        """The window defaults to the certificate's own validity and never exceeds it."""
        start = certificate.not_valid_before_utc
        end = certificate.not_valid_after_utc
        return cls(
            code=code,
            certificate=certificate,
            not_before=max(start, not_before) if not_before is not None else start,
            not_after=min(end, not_after) if not_after is not None else end,
        )

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)

    def covers(self, at: datetime) -> bool:
        return self.not_before <= at <= self.not_after


@dataclass(frozen=True, slots=True)
class Revocation:
    """Serial number `serial` (lower-case hex) is revoked from `revoked_at` on."""

    serial: str
    revoked_at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signed a packet, as the trust store vouches for it."""

    code: str
    """The organization code the certificate is authorized for, and the packet's From."""
    certificate: x509.Certificate
    authority: x509.Certificate
    """The certificate authority that issued it."""
    for_notices: bool = False
    """Vouched for as an axis node's notice certificate (`NOTICE_SIGNER`, a 02 the node wrote
    From a recipient it could not reach), not as a certificate of the code itself."""

    @property
    def facts(self) -> CertificateFacts:
        return facts(self.certificate)

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()


@dataclass(slots=True)
class TrustStore:
    authorities: tuple[x509.Certificate, ...] = ()
    authorizations: tuple[Authorization, ...] = ()
    revocations: tuple[Revocation, ...] = ()
    _by_fingerprint: dict[str, list[Authorization]] = field(init=False, repr=False)
    _revoked: dict[str, Revocation] = field(init=False, repr=False)
    _issuers: dict[str, x509.Certificate | None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_fingerprint: dict[str, list[Authorization]] = defaultdict(list)
        for authorization in self.authorizations:
            by_fingerprint[authorization.fingerprint].append(authorization)
        self._by_fingerprint = dict(by_fingerprint)
        self._revoked = {}
        for revocation in sorted(self.revocations, key=lambda r: r.revoked_at, reverse=True):
            self._revoked[revocation.serial] = revocation  # the earliest revocation wins
        self._issuers = {}

    @classmethod
    def of(
        cls,
        authorities: Iterable[x509.Certificate] = (),
        authorizations: Iterable[Authorization] = (),
        revocations: Iterable[Revocation] = (),
    ) -> TrustStore:
        return cls(tuple(authorities), tuple(authorizations), tuple(revocations))

    # -- questions ------------------------------------------------------------------------

    def issuer_of(self, certificate: x509.Certificate) -> x509.Certificate | None:
        """The store's authority that issued `certificate`, if any (the answer is cached: a
        signature check per packet would otherwise double the cost of verifying)."""
        key = fingerprint(certificate)
        if key not in self._issuers:
            self._issuers[key] = next(
                (a for a in self.authorities if is_issued_by(certificate, a)), None
            )
        return self._issuers[key]

    def codes_for(self, certificate: x509.Certificate) -> list[str]:
        """The codes the certificate is authorized for, at any time."""
        return sorted({a.code for a in self._by_fingerprint.get(fingerprint(certificate), ())})

    def revocation(self, serial: str) -> Revocation | None:
        return self._revoked.get(serial)

    def signer(
        self, certificate: x509.Certificate, code: str, *, at: datetime, notice: bool = False
    ) -> Signer:
        """The signer of a packet From `code`, signed with `certificate` at `at`; raises
        `SignatureError` with the reason the store does not vouch for it. A `notice` (a 02 the
        node writes) may also be signed by a certificate authorized as `NOTICE_SIGNER`."""
        if at.tzinfo is None:
            raise ValueError("the signing time must be time-zone aware")
        granted = self._by_fingerprint.get(fingerprint(certificate))
        if not granted:
            raise SignatureError(
                SignatureCode.CERT_UNKNOWN,
                f"The certificate {describe(certificate)} is not in this node's trust store, so "
                "it may not sign for any organization code. The agency must register it with the "
                "operator (axis trust add CODE CERT.pem).",
            )
        authority = self.issuer_of(certificate)
        if authority is None:
            raise SignatureError(
                SignatureCode.ISSUER_UNTRUSTED,
                f"The certificate {describe(certificate)} was not issued by a certificate "
                "authority this node trusts (its issuer is "
                f"{certificate.issuer.rfc4514_string()}).",
            )
        self._check_revoked(certificate, at)
        check_window(
            "The certificate",
            certificate,
            certificate.not_valid_before_utc,
            certificate.not_valid_after_utc,
            at,
        )
        check_window(
            "The certificate authority",
            authority,
            authority.not_valid_before_utc,
            authority.not_valid_after_utc,
            at,
        )
        for_code = [a for a in granted if a.code == code]
        for_notices = not for_code and notice
        if for_notices:
            for_code = [a for a in granted if a.code == NOTICE_SIGNER]
        if not for_code:
            codes = ", ".join(sorted({a.code for a in granted}))
            raise SignatureError(
                SignatureCode.NOT_AUTHORIZED,
                f"The certificate {describe(certificate)} may sign for {codes}, not for {code} "
                "(the packet's From). A packet must be signed with its sending agency's own "
                "certificate.",
            )
        if not any(a.covers(at) for a in for_code):
            nearest = min(for_code, key=lambda a: _distance(a, at))
            check_window(
                f"The authorization for {code} of the certificate",
                certificate,
                nearest.not_before,
                nearest.not_after,
                at,
            )
        return Signer(code, certificate, authority, for_notices=for_notices)

    def _check_revoked(self, certificate: x509.Certificate, at: datetime) -> None:
        revocation = self._revoked.get(serial_hex(certificate.serial_number))
        if revocation is not None and at >= revocation.revoked_at:
            because = f" ({revocation.reason})" if revocation.reason else ""
            raise SignatureError(
                SignatureCode.CERT_REVOKED,
                f"The certificate {describe(certificate)} was revoked on "
                f"{revocation.revoked_at.isoformat()}{because}; the agency must sign with its "
                "new certificate.",
            )


def check_window(
    what: str, certificate: x509.Certificate, start: datetime, end: datetime, at: datetime
) -> None:
    """Refuse `at` outside [start, end]; the sentence (built only then) names `certificate`."""
    if at < start:
        raise SignatureError(
            SignatureCode.CERT_NOT_YET_VALID,
            f"{what} {describe(certificate)} is valid from {start.isoformat()}, after the "
            f"signing time {at.isoformat()}.",
        )
    if at > end:
        raise SignatureError(
            SignatureCode.CERT_EXPIRED,
            f"{what} {describe(certificate)} was valid until {end.isoformat()}, before the "
            f"signing time {at.isoformat()}; the agency must sign with a current certificate.",
        )


def _distance(authorization: Authorization, at: datetime) -> float:
    if at < authorization.not_before:
        return (authorization.not_before - at).total_seconds()
    return (at - authorization.not_after).total_seconds()
