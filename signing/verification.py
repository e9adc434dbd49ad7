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

import hashlib
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, VerifyResult

from envelopes.codes import StatusCode
from envelopes.model import Packet, StatusPacket
from envelopes.parsing import DEFAULT_LIMITS, Limits, read_scanned, without_signature
from envelopes.safe_parsing import ScannedPacket, build_tree, safe_parser, scan
from envelopes.spool import PacketBytes, SpooledPacket
from signing.algorithms import AlgorithmPolicy
from signing.errors import SignatureCode, SignatureError
from signing.lean_verifier import LeanXMLVerifier
from signing.shape import SignatureShape, inspect
from signing.streamed_content import MarkMismatch, mark
from signing.trust import Signer, TrustStore


@dataclass(frozen=True, slots=True)
class VerifiedPacket:
    """A packet whose signature holds and whose signer the trust store vouches for."""

    packet: Packet
    """Read from the signed content, never from the unsigned parts of the input."""
    signer: Signer
    signed_content: bytes | None
    """Exactly the bytes the digest covers: the canonical packet without its Signature (None
    for a spooled packet: its canonical form was digested as it streamed, never held)."""
    content_sha256: bytes
    """SHA-256 of the signed content."""
    signature_method: str
    """The signature algorithm's URI (e.g. ...#rsa-sha256)."""

    @property
    def signer_code(self) -> str:
        return self.signer.code

    @property
    def signed_for(self) -> str | None:
        """The code a certificate authorized for it signed the packet for; None for a 02 an
        axis node signed with its notice certificate."""
        return None if self.signer.for_notices else self.signer.code

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

    def verify(self, data: PacketBytes, *, at: datetime) -> VerifiedPacket:
        """The verified packet; raises `SignatureError` (or `EnvelopeError` for a packet that is
        hostile or invalid) with the reason it is refused. A spooled packet is verified with
        its attachments' texts left in their spool (`signing.streamed_content`)."""
        scanned = scan(data, self.limits)  # refuses the hostile before any tree is built
        tree = build_tree(data)
        marks = mark(tree, scanned.texts) if scanned.texts is not None else None
        if marks is None and isinstance(data, SpooledPacket):  # does not fit: from memory
            data = data.read_all()
        shape = inspect(tree, self.policy)
        verifier = LeanXMLVerifier(marks)
        signed_content = self.check_cryptography(data if marks is None else tree, shape, verifier)
        if marks is None:
            return self._read(scanned, shape, signed_content, signed_content, at)
        assert verifier.content_sha256 is not None  # set by the digest check that passed
        located = marks.located(signed_content)
        return self._read(scanned, shape, located, None, at, verifier.content_sha256)

    def _read(
        self,
        scanned: ScannedPacket,
        shape: SignatureShape,
        located: bytes,
        signed_content: bytes | None,
        at: datetime,
        content_sha256: bytes | None = None,
    ) -> VerifiedPacket:
        """The packet read once, from what the signature covers: the scanned packet without its
        Signature (`inspect` fixed that the one Signature ends edXMLHeader and covers the whole
        document, enveloped). Problems are located in `located`, element for element the same
        (canonicalization keeps every other element, in order)."""
        packet = read_scanned(without_signature(scanned), located)
        notice = isinstance(packet, StatusPacket) and packet.status_code is StatusCode.REJECTED
        signer = self.trust.signer(shape.certificate, packet.sender_code, at=at, notice=notice)
        if content_sha256 is None:
            content_sha256 = hashlib.sha256(located).digest()
        return VerifiedPacket(
            packet, signer, signed_content, content_sha256, shape.signature_method.value
        )

    def check_cryptography(
        self,
        data: bytes | etree._Element,
        shape: SignatureShape,
        verifier: LeanXMLVerifier | None = None,
    ) -> bytes:
        """The signed content, once signxml has checked the digest and the SignatureValue
        against the shape's certificate (a step of `verify`, public for the benchmark). signxml
        parses `data` itself: handed a tree, it copies it, which costs more (a spooled packet's
        tree is small: its marks stand for its attachments); its whole-packet Reference is
        checked without copies (`signing.lean_verifier`)."""
        try:
            result = (verifier or LeanXMLVerifier()).verify(
                data,
                x509_cert=shape.certificate,
                parser=safe_parser(),
                expect_config=self._config,
            )
        except MarkMismatch as error:
            raise SignatureError(
                SignatureCode.MALFORMED, f"The packet cannot be canonicalized: {error}."
            ) from None
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
