"""Verifying a signed packet: its shape, its cryptography, and who vouches for its signer.

    hostile-input refusal (envelopes) -> the signature's shape (`shape`) -> digest and signature
    value (signxml, against the certificate KeyInfo carries) -> the packet read from the signed
    content only -> the trust store: is that certificate trusted to sign for the packet's From
    code, at the signing time?

XML-DSig as real packets use it carries no trusted signing time, so the caller says which time
the packet is judged at: the node uses the moment it received the packet (recorded in tracking),
so a later check of an old delivery uses that same moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, VerifyResult

from envelopes.codes import StatusCode
from envelopes.model import Packet, StatusPacket
from envelopes.parsing import DEFAULT_LIMITS, Limits, read_scanned, without_signature
from envelopes.safe_parsing import build_tree, safe_parser, scan
from signing.algorithms import AlgorithmPolicy
from signing.errors import SignatureCode, SignatureError
from signing.lean_verifier import LeanXMLVerifier
from signing.shape import SignatureShape, inspect
from signing.trust import Signer, TrustStore


@dataclass(frozen=True, slots=True)
class VerifiedPacket:
    """A packet whose signature holds and whose signer the trust store vouches for."""

    packet: Packet
    """Read from `signed_content`, never from the unsigned parts of the input."""
    signer: Signer
    signed_content: bytes
    """Exactly the bytes the digest covers: the canonical packet without its Signature."""
    signature_method: str
    """The signature algorithm's URI (e.g. ...#rsa-sha256)."""

    @property
    def signer_code(self) -> str:
        return self.signer.code

    @property
    def signer_subject(self) -> str:
        return self.signer.subject


class PacketVerifier:
    """Verifies packets against one trust store under one algorithm policy."""

    def __init__(
        self,
        trust: TrustStore,
        policy: AlgorithmPolicy = AlgorithmPolicy(),  # noqa: B008 (immutable)
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.trust = trust
        self.policy = policy
        self.limits = limits
        self._config = SignatureConfiguration(
            require_x509=True,
            location=".//",  # `inspect` has already fixed where the one Signature stands
            expect_references=1,
            signature_methods=policy.signature_methods,
            digest_algorithms=policy.digest_algorithms,
        )

    def verify(self, data: bytes, *, at: datetime) -> VerifiedPacket:
        """The verified packet; raises `SignatureError` (or `EnvelopeError` for a packet that is
        hostile or invalid) with the reason it is refused."""
        scanned = scan(data, self.limits)  # refuses the hostile before any tree is built
        shape = inspect(build_tree(data), self.policy)
        signed_content = self.check_cryptography(data, shape)
        # Read once, from what the signature covers: the scanned packet without its Signature
        # (`inspect` fixed that the one Signature ends edXMLHeader and covers the whole
        # document, enveloped). Problems are located in the signed content, element for element
        # the same (canonicalization keeps every other element, in order).
        packet = read_scanned(without_signature(scanned), signed_content)
        notice = isinstance(packet, StatusPacket) and packet.status_code is StatusCode.REJECTED
        signer = self.trust.signer(shape.certificate, packet.sender_code, at=at, notice=notice)
        return VerifiedPacket(packet, signer, signed_content, shape.signature_method.value)

    def check_cryptography(self, data: bytes, shape: SignatureShape) -> bytes:
        """The signed content, once signxml has checked the digest and the SignatureValue
        against the shape's certificate (a step of `verify`, public for the benchmark). signxml
        parses `data` itself: handed the tree already built, it copies it, which costs more; its
        whole-packet Reference is checked without copies (`signing.lean_verifier`)."""
        try:
            result = LeanXMLVerifier().verify(
                data,
                x509_cert=shape.certificate,
                parser=safe_parser(),
                expect_config=self._config,
            )
        except InvalidDigest:
            raise SignatureError(
                SignatureCode.DIGEST_MISMATCH,
                "The packet was changed after it was signed: its content no longer matches the "
                "signature's digest. Ask the sending agency to send it again.",
            ) from None
        except InvalidSignature as error:
            raise SignatureError(
                SignatureCode.VALUE_MISMATCH,
                "The SignatureValue does not match: the signature was not made by the key of the "
                f"certificate in KeyInfo over this SignedInfo ({error}).",
            ) from None
        except InvalidCertificate as error:
            raise SignatureError(
                SignatureCode.CERT_UNREADABLE, f"The signing certificate is unusable ({error})."
            ) from None
        except (InvalidInput, etree.DocumentInvalid, ValueError) as error:
            raise SignatureError(
                SignatureCode.MALFORMED,
                f"The Signature element does not follow XML-DSig: {error}.",
            ) from None
        except Exception as error:  # hostile input inside signxml, lxml's c14n, cryptography
            raise SignatureError(
                SignatureCode.MALFORMED,
                f"The signature cannot be checked ({type(error).__name__}: {error}).",
            ) from None
        # One Reference is expected (`expect_references=1`), so signxml answers with one result.
        assert isinstance(result, VerifyResult)
        signed: bytes = result.signed_data
        return signed
