"""`axis sign` and `axis verify`: packets signed and checked (light: neither loads the node's
database or Kafka client unless `verify` reads the node's trust store)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from axis.cli.options import AsJson, parse_time
from envelopes.document_id import DocumentId
from envelopes.errors import EnvelopeError
from envelopes.model import DocumentPacket
from envelopes.parsing import read_packet_bytes
from signing.algorithms import AlgorithmPolicy
from signing.certificates import facts, load_certificate, load_certificates, load_private_key
from signing.errors import SignatureError, TrustError
from signing.signer import sign_packet
from signing.trust_files import load_trust_directory
from signing.verification import PacketVerifier, VerifiedPacket


def sign(
    packet: Annotated[Path, typer.Argument(help="The unsigned packet.")],
    key: Annotated[Path, typer.Option("--key", help="The agency's private key (PEM).")],
    cert: Annotated[Path, typer.Option("--cert", help="Its certificate (PEM).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the result.")],
    chain: Annotated[
        Path | None, typer.Option("--chain", help="Intermediate certificates for KeyInfo (PEM).")
    ] = None,
) -> None:
    """Sign a packet (enveloped XML-DSig at the end of edXMLHeader, exclusive c14n, RSA-SHA256
    or ECDSA-SHA256 by the key) and write it to OUTPUT."""
    try:
        certificate = load_certificate(cert)
        intermediates = load_certificates(chain) if chain is not None else []
        signed = sign_packet(
            read_packet_bytes(packet), load_private_key(key), certificate, chain=intermediates
        )
    except (EnvelopeError, SignatureError, TrustError) as error:
        _fail(packet, error)
    output.write_bytes(signed)
    typer.echo(f"{packet}: signed by {certificate.subject.rfc4514_string()} -> {output}")


def verify(
    packets: Annotated[list[Path], typer.Argument(help="Signed packets to verify.")],
    trust: Annotated[
        Path | None,
        typer.Option(
            "--trust",
            help="A trust directory (ca.pem and CODE.pem files, as keys dev-pki writes); "
            "without it, the node database's trust store.",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Judge the signature as of this ISO-8601 time (default now)."),
    ] = None,
    legacy_sha1: Annotated[
        bool | None,
        typer.Option(
            "--legacy-sha1/--no-legacy-sha1",
            help="Accept rsa-sha1/sha1 (default: the node's AXIS_SIGNATURE_LEGACY_SHA1).",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Verify packets: exit 0 and the signer's code and subject when every one is valid, exit 1
    with the error code and reason for each one that is not."""
    from axis.settings import load_settings  # pydantic-settings: only for the command that reads

    settings = load_settings()
    when = parse_time(at, "--at") if at is not None else datetime.now(UTC)
    policy = AlgorithmPolicy(
        legacy_sha1=settings.signature_legacy_sha1 if legacy_sha1 is None else legacy_sha1
    )
    try:
        if trust is not None:
            store = load_trust_directory(trust)
        else:
            from axis.cli.trust import node_trust_store  # the node database: only if asked

            store = node_trust_store()
    except TrustError as error:
        typer.echo(f"{error.code}: {error.message}", err=True)
        raise typer.Exit(1) from error
    verifier = PacketVerifier(store, policy)
    outcomes = [_Outcome.of(path, verifier, when) for path in packets]
    if as_json:
        shown: Any = [o.as_json() for o in outcomes]
        typer.echo(json.dumps(shown[0] if len(shown) == 1 else shown, ensure_ascii=False, indent=2))
    else:
        for outcome in outcomes:
            typer.echo(outcome.line(), err=outcome.verified is None)
    if any(o.verified is None for o in outcomes):
        raise typer.Exit(1)


@dataclass(frozen=True, slots=True)
class _Outcome:
    path: Path
    verified: VerifiedPacket | None
    code: str = ""
    message: str = ""

    @classmethod
    def of(cls, path: Path, verifier: PacketVerifier, at: datetime) -> _Outcome:
        try:
            return cls(path, verifier.verify(read_packet_bytes(path), at=at))
        except (SignatureError, EnvelopeError) as error:
            return cls(path, None, str(error.code), error.message)

    def line(self) -> str:
        if self.verified is None:
            return f"{self.path}: {self.code} {self.message}"
        signer = self.verified.signer
        return f"{self.path}: OK signed for {signer.code} by {signer.subject}"

    def as_json(self) -> dict[str, Any]:
        if self.verified is None:
            return {
                "file": str(self.path),
                "valid": False,
                "error": {"code": self.code, "message": self.message},
            }
        signer = self.verified.signer
        described = facts(signer.certificate)
        return {
            "file": str(self.path),
            "valid": True,
            "signer": {
                "code": signer.code,
                "subject": described.subject,
                "serial": described.serial,
                "fingerprint": described.fingerprint,
                "issuer": described.issuer,
                "not_after": described.not_after.isoformat(),
            },
            "algorithm": self.verified.signature_method,
            "document_id": str(_document_id(self.verified)),
        }


def _document_id(verified: VerifiedPacket) -> DocumentId:
    """The document a packet is (or, for a status, is about)."""
    packet = verified.packet
    return packet.document_id if isinstance(packet, DocumentPacket) else packet.original_document_id


def _fail(path: Path, error: EnvelopeError | SignatureError | TrustError) -> None:
    typer.echo(f"{path}: {error.code} {error.message}", err=True)
    raise typer.Exit(1) from error
