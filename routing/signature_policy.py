"""What a client's packets must carry as a signature, set per client by operators.

Many document management systems sign nothing (the documents inside are signed PDFs), or sign
with a legacy signature the node can never verify (rsa-sha1, or a Signature outside the XML-DSig
namespace). An agency that switches to the node must not lose traffic for that, and must not be
able to weaken anyone else's packets either, so the policy belongs to the client that
authenticated the request:

- `require` (the default): a packet is routed only when its XML-DSig signature verifies against
  the trust store for its From code;
- `node-signs`, X-Road's model: the client is authenticated by its credentials and hands over an
  unsigned or legacy-signed packet; the node signs it for the From code with a key it holds for
  that agency, and routes the signed packet (the bytes submitted are kept as evidence);
- `accept-authenticated`: the client's unsigned or legacy-signed packets are routed as they are,
  marked "unsigned, client-authenticated" in the answer, the tracking timeline and the evidence
  log.

A legacy signature is never reported valid. Under the last two policies it does not stop a
packet; a real XML-DSig signature that fails (a changed packet, a wrong key, an untrusted or
revoked certificate) still does, whatever the policy: it is evidence of tampering, not of an
old system.
"""

from __future__ import annotations

from enum import StrEnum


class SignaturePolicy(StrEnum):
    REQUIRE = "require"
    NODE_SIGNS = "node-signs"
    ACCEPT_AUTHENTICATED = "accept-authenticated"


class Signature(StrEnum):
    """How a routed packet's origin is vouched for (in the answer, tracking and evidence)."""

    VERIFIED = "verified"
    """Its own XML-DSig signature verified against the trust store."""
    NODE_SIGNED = "node-signed"
    """The node signed it for the From code, the client being authenticated."""
    CLIENT_AUTHENTICATED = "client-authenticated"
    """Unsigned (or legacy-signed) and routed on the client's credentials alone."""


ABSENT_OR_LEGACY = frozenset(
    {"SIGNATURE_MISSING", "SIGNATURE_NOT_XMLDSIG", "SIGNATURE_ALGORITHM_FORBIDDEN"}
)
"""Refusals that say a packet has no signature the node could verify, rather than a signature
that fails: under `node-signs` and `accept-authenticated` these do not stop a packet."""


def admits_unverified(policy: SignaturePolicy, refusal_code: str) -> bool:
    """Whether a packet refused with `refusal_code` by verification may still be routed under
    `policy` (signed by the node, or on the client's credentials)."""
    return policy is not SignaturePolicy.REQUIRE and refusal_code in ABSENT_OR_LEGACY
