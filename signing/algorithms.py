"""The XML-DSig algorithms the node signs with and accepts, and the policy that decides."""

from __future__ import annotations

from dataclasses import dataclass

from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from signing.errors import SignatureCode, SignatureError

ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
EXCLUSIVE_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
"""What the node signs with; verification also accepts inclusive c14n 1.0 and 1.1, which
real packets use."""
CANONICALIZATIONS = frozenset(m.value for m in CanonicalizationMethod)

_MODERN_SIGNATURES = frozenset(
    {
        SignatureMethod.RSA_SHA256,
        SignatureMethod.RSA_SHA384,
        SignatureMethod.RSA_SHA512,
        SignatureMethod.ECDSA_SHA256,
        SignatureMethod.ECDSA_SHA384,
        SignatureMethod.ECDSA_SHA512,
    }
)
_MODERN_DIGESTS = frozenset(
    {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
)
_SHA1_SIGNATURES = frozenset({SignatureMethod.RSA_SHA1})
_SHA1_DIGESTS = frozenset({DigestAlgorithm.SHA1})


@dataclass(frozen=True, slots=True)
class AlgorithmPolicy:
    """Which signature and digest algorithms a packet may use.

    RSA and ECDSA with SHA-256 or longer are always accepted. rsa-sha1 and sha1 (old packets)
    only when `legacy_sha1` is on, which it is not by default (`AXIS_SIGNATURE_LEGACY_SHA1`).
    HMAC, DSA and anything unknown are never accepted.
    """

    legacy_sha1: bool = False

    @property
    def signature_methods(self) -> frozenset[SignatureMethod]:
        return _MODERN_SIGNATURES | (_SHA1_SIGNATURES if self.legacy_sha1 else frozenset())

    @property
    def digest_algorithms(self) -> frozenset[DigestAlgorithm]:
        return _MODERN_DIGESTS | (_SHA1_DIGESTS if self.legacy_sha1 else frozenset())

    def check_signature_method(self, uri: str | None) -> SignatureMethod:
        allowed = {m.value: m for m in self.signature_methods}
        if uri in allowed:
            return allowed[uri]
        raise SignatureError(SignatureCode.ALGORITHM_FORBIDDEN, self._refusal("signature", uri))

    def check_digest(self, uri: str | None) -> DigestAlgorithm:
        allowed = {m.value: m for m in self.digest_algorithms}
        if uri in allowed:
            return allowed[uri]
        raise SignatureError(SignatureCode.ALGORITHM_FORBIDDEN, self._refusal("digest", uri))

    def _refusal(self, kind: str, uri: str | None) -> str:
        named = uri or "(none)"
        if uri is not None and uri.endswith("sha1") and not self.legacy_sha1:
            return (
                f"The {kind} algorithm {named} uses SHA-1, which this node refuses: the "
                "legacy_sha1 policy is off (the default). Re-sign the packet with rsa-sha256, or "
                "ask the operator to switch AXIS_SIGNATURE_LEGACY_SHA1 on for old packets."
            )
        return (
            f"The {kind} algorithm {named} is not accepted; sign with rsa-sha256 or "
            "ecdsa-sha256 and digest with sha256."
        )


def check_canonicalization(uri: str | None) -> None:
    if uri not in CANONICALIZATIONS:
        raise SignatureError(
            SignatureCode.ALGORITHM_FORBIDDEN,
            f"The canonicalization {uri or '(none)'} is not accepted; use exclusive c14n "
            f"({EXCLUSIVE_C14N.value}).",
        )
