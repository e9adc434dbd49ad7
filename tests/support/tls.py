"""A TLS PKI for tests: a development CA (`axis.devtools.dev_pki`), the node's server
certificate for 127.0.0.1 and localhost, and client certificates, written as PEM files."""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from axis.devtools.dev_pki import Issued, key_pem, new_authority, new_key
from signing.certificates import pem


@dataclass(frozen=True)
class Files:
    certificate: Path
    key: Path

    @property
    def sha256(self) -> str:
        certificate = x509.load_pem_x509_certificate(self.certificate.read_bytes())
        return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


def _leaf(authority: Issued, name: str, usage: x509.ObjectIdentifier, *, server: bool) -> Issued:
    key = new_key()
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if server:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return Issued(key, builder.sign(authority.key, hashes.SHA256()))


def _write(directory: Path, stem: str, issued: Issued) -> Files:
    directory.mkdir(parents=True, exist_ok=True)
    files = Files(directory / f"{stem}.pem", directory / f"{stem}.key")
    files.certificate.write_bytes(pem(issued.certificate))
    files.key.write_bytes(key_pem(issued.key))
    return files


@dataclass(frozen=True)
class TlsPki:
    ca: Path
    server: Files
    clients: dict[str, Files]

    def client_context(self, client: str | None = None) -> ssl.SSLContext:
        """What a client trusts (the CA) and presents (`client`'s certificate, if named)."""
        context = ssl.create_default_context(cafile=str(self.ca))
        if client is not None:
            files = self.clients[client]
            context.load_cert_chain(str(files.certificate), str(files.key))
        return context


def write_tls_pki(directory: Path, clients: list[str]) -> TlsPki:
    """A CA, the server's certificate and one client certificate per name; also `foreign`, a
    client certificate of another CA (the handshake refuses it)."""
    authority = new_authority("Axis test TLS CA")
    (directory / "ca.pem").parent.mkdir(parents=True, exist_ok=True)
    (directory / "ca.pem").write_bytes(pem(authority.certificate))
    server = _write(
        directory,
        "server",
        _leaf(authority, "axis node", ExtendedKeyUsageOID.SERVER_AUTH, server=True),
    )
    issued = {
        name: _write(
            directory, name, _leaf(authority, name, ExtendedKeyUsageOID.CLIENT_AUTH, server=False)
        )
        for name in clients
    }
    stranger = new_authority("Another CA")
    issued["foreign"] = _write(
        directory,
        "foreign",
        _leaf(stranger, "foreign", ExtendedKeyUsageOID.CLIENT_AUTH, server=False),
    )
    return TlsPki(directory / "ca.pem", server, issued)
