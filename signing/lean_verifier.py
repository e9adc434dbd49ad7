"""signxml's verifier, checking the one whole-packet Reference without copying the packet.

signxml guards every Reference against a caller's tree by copying: it serializes the document
and parses it again, does the same once more before canonicalizing, and parses the canonical
bytes a third time to hand back a tree. For a packet that is three more parses and two more
serializations (about a third of the time a 10 KB packet takes to verify), and for a 50 MiB
attachment five copies of it at once (336 MiB of peak memory for a 67 MiB packet, measured).

None of that protects anything here: signxml's `get_root` parses the bytes we give it into a
tree of its own that nobody else holds, and `signing.shape.inspect` has already fixed that the
one Reference is `URI=""` (the whole packet) with the enveloped-signature transform and at most
one canonicalization. For that Reference, `LeanXMLVerifier` removes the Signature from
signxml's own tree, canonicalizes it with signxml's own `_c14n`, and compares the digest exactly
as signxml does; the canonical bytes are the signed data (the parsed copy of them is not made:
the node reads the packet from its own hardened parse). Any other Reference goes to signxml's
own path unchanged. The canonical form is the same either way: the copy signxml makes of the
root element serializes and re-reads the same element, and the canonical form of a root element
carries no inherited namespace that a copy could change.

A spooled packet's tree carries marks in place of its attachment texts
(`signing.streamed_content`): the digest then streams the texts in around the canonical bytes,
and the signed data handed back is those bytes with the marks (the digests are on `content`).
"""

from __future__ import annotations

from base64 import b64decode
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureConstructionMethod
from signxml.exceptions import InvalidDigest, InvalidInput
from signxml.util import _remove_sig
from signxml.verifier import VerifyResult, XMLVerifier

from signing.streamed_content import Marks

_ENVELOPED = SignatureConstructionMethod.enveloped.value
_C14N = frozenset(method.value for method in CanonicalizationMethod)


class LeanXMLVerifier(XMLVerifier):
    """`XMLVerifier` whose whole-document Reference is checked on signxml's own parse."""

    def __init__(self, marks: Marks | None = None) -> None:
        super().__init__()
        self.marks = marks
        """The marks standing for attachment texts in the tree to verify (None: no marks)."""
        self.content_sha256: bytes | None = None
        """SHA-256 of the canonical packet, when it was streamed (`marks`)."""

    def _verify_reference(
        self,
        reference: etree._Element,
        index: int,
        root: etree._Element,
        uri_resolver: Any,
        c14n_algorithm: CanonicalizationMethod,
        signature: etree._Element,
        signature_key_used: Any,
    ) -> VerifyResult:
        transforms = self._find(reference, "Transforms", require=False)
        steps = [] if transforms is None else self._findall(transforms, "Transform")
        algorithms = [step.get("Algorithm") for step in steps]
        canonical = [step for step in steps if step.get("Algorithm") in _C14N]
        lean = (
            reference.get("URI") == ""
            and len(canonical) <= 1
            and all(a == _ENVELOPED or a in _C14N for a in algorithms)
        )
        if not lean and self.marks is not None:  # `signing.shape` lets no such Reference in
            raise InvalidInput("a packet with marks has only a whole-document Reference")
        if not lean:
            result: VerifyResult = super()._verify_reference(
                reference, index, root, uri_resolver, c14n_algorithm, signature, signature_key_used
            )
            return result
        if _ENVELOPED in algorithms:
            _remove_sig(self._get_signature(root), idempotent=True)
        if canonical:
            method = CanonicalizationMethod(canonical[0].get("Algorithm"))
            prefixes = self._get_inclusive_ns_prefixes(canonical[0])
        else:
            method, prefixes = self.config.default_reference_c14n_method, None
        payload_c14n: bytes = self._c14n(root, algorithm=method, inclusive_ns_prefixes=prefixes)
        digest_alg = DigestAlgorithm(self._find(reference, "DigestMethod").get("Algorithm"))
        self.check_digest_alg_expected(digest_alg)
        digest_value = self._find(reference, "DigestValue")
        if self.marks is None:
            computed = self._get_digest(payload_c14n, digest_alg)
        else:
            computed, self.content_sha256 = self.marks.digests(payload_c14n, digest_alg)
        if b64decode(digest_value.text) != computed:
            raise InvalidDigest(f"Digest mismatch for reference {index} ({reference.get('URI')})")
        if isinstance(signature_key_used, bytes):
            key = signature_key_used
        else:
            key = signature_key_used.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        return VerifyResult(payload_c14n, None, signature, signature_key=key)
