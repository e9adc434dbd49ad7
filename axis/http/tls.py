"""The node serving TLS itself: its certificate, optional client certificates, and who presented
which certificate.

`server_tls(settings)` checks the files named by the `tls_*` settings at start-up, each failure a
`TlsError` with a code and a sentence (a missing file, a file that is not PEM, a key that is not
the certificate's, an expired certificate), and gives uvicorn's TLS arguments: the certificate
and key, and with `tls_client_ca_file` the authorities client certificates must chain to and
whether one is required (`tls_client_cert`). The handshake verifies a presented client
certificate against those authorities; a client bound to a certificate (`Client.accepts`) must
also present exactly that one.

uvicorn (0.54) does not hand the peer certificate to the application, so `TlsHttpToolsProtocol`
(its httptools protocol, the node's) adds it as the ASGI TLS extension,
`scope["extensions"]["tls"]["client_cert_chain"]` (PEM, the client's own certificate first:
Python's `ssl` gives only that one), read back by `peer_certificate`.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from axis.settings import Settings

TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}
"""`SSLObject.version()` as the TLS extension's `tls_version` number."""


class TlsError(ValueError):
    """A TLS setting names a file that cannot serve; `code` names why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ServerTls:
    """uvicorn's TLS arguments, from files checked to work together."""

    certfile: Path
    keyfile: Path
    client_ca: Path | None
    client_cert_required: bool

    def uvicorn_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "ssl_certfile": str(self.certfile),
            "ssl_keyfile": str(self.keyfile),
        }
        if self.client_ca is not None:
            options["ssl_ca_certs"] = str(self.client_ca)
            options["ssl_cert_reqs"] = (
                ssl.CERT_REQUIRED if self.client_cert_required else ssl.CERT_OPTIONAL
            )
        return options


def server_tls(settings: Settings, *, now: datetime | None = None) -> ServerTls | None:
    """The checked TLS configuration of `settings`, None without TLS; raises `TlsError`."""
    if settings.tls_cert_file is None or settings.tls_key_file is None:
        return None
    certificates = _certificates(settings.tls_cert_file, "AXIS_TLS_CERT_FILE")
    leaf = certificates[0]
    key = _private_key(settings.tls_key_file)
    if key.public_key().public_bytes(*_SPKI) != leaf.public_key().public_bytes(*_SPKI):
        raise TlsError(
            "TLS_KEY_MISMATCH",
            f"AXIS_TLS_KEY_FILE ({settings.tls_key_file}) is not the private key of the "
            f"certificate in AXIS_TLS_CERT_FILE ({settings.tls_cert_file}): name the key that "
            "was issued with it",
        )
    moment = now or datetime.now(UTC)
    start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    if not start <= moment < end:
        raise TlsError(
            "TLS_CERT_NOT_VALID_NOW",
            f"the certificate in AXIS_TLS_CERT_FILE is valid from {start:%Y-%m-%d %H:%M} to "
            f"{end:%Y-%m-%d %H:%M} UTC, not now: clients would refuse it",
        )
    client_ca = settings.tls_client_ca_file
    if client_ca is not None:
        _certificates(client_ca, "AXIS_TLS_CLIENT_CA_FILE")
    return ServerTls(
        settings.tls_cert_file,
        settings.tls_key_file,
        client_ca,
        settings.tls_client_cert == "required",
    )


_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _read(path: Path, variable: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise TlsError(
            "TLS_FILE_MISSING", f"{variable} names {path}, which does not exist"
        ) from None
    except OSError as error:
        raise TlsError(
            "TLS_FILE_UNREADABLE",
            f"{variable} names {path}, which cannot be read ({error.strerror})",
        ) from None


def _certificates(path: Path, variable: str) -> list[x509.Certificate]:
    data = _read(path, variable)
    try:
        found = x509.load_pem_x509_certificates(data)
    except ValueError:
        found = []
    if not found:
        raise TlsError(
            "TLS_CERT_INVALID",
            f"{variable} names {path}, which holds no PEM certificate "
            "(-----BEGIN CERTIFICATE-----)",
        )
    return found


def _private_key(path: Path) -> Any:
    data = _read(path, "AXIS_TLS_KEY_FILE")
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise TlsError(
            "TLS_KEY_ENCRYPTED",
            f"AXIS_TLS_KEY_FILE names {path}, an encrypted key: the node needs it unencrypted "
            "(readable by the node's user only)",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise TlsError(
            "TLS_KEY_INVALID", f"AXIS_TLS_KEY_FILE names {path}, which holds no PEM private key"
        ) from None


# --- the peer certificate --------------------------------------------------------------------


def peer_certificate(scope: Scope) -> bytes | None:
    """The DER certificate the client presented on this request's connection (verified in the
    handshake against the client authorities); None without one, or without TLS."""
    tls = scope.get("extensions", {}).get("tls")
    if not isinstance(tls, dict):
        return None
    chain = tls.get("client_cert_chain") or []
    return ssl.PEM_cert_to_DER_cert(chain[0]) if chain else None


class _WithTls:
    """The application, with the connection's TLS extension added to every request's scope."""

    def __init__(self, app: ASGIApp, extension: dict[str, Any]) -> None:
        self.app = app
        self.extension = extension

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "extensions": {**scope.get("extensions", {}), "tls": self.extension}}
        await self.app(scope, receive, send)


def _with_peer(app: ASGIApp, transport: asyncio.Transport) -> ASGIApp:
    """`app`, told the connection's TLS parameters and client certificate when it has TLS."""
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return app
    der = ssl_object.getpeercert(binary_form=True)
    return _WithTls(
        app,
        {
            "server_cert": None,
            "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
            "client_cert_name": None,
            "client_cert_error": None,
            "tls_version": TLS_VERSIONS.get(ssl_object.version() or ""),
            "cipher_suite": None,
        },
    )


class TlsHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (the fast one; it answers `Expect: 100-continue`, which the
    national SDK sends), also telling the application the connection's TLS parameters and
    client certificate (the ASGI TLS extension). The handshake is over when `connection_made`
    is called, so the certificate is read once per connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app = _with_peer(self.app, transport)
