"""Keys the node holds to sign for agencies whose document management systems do not sign
(`node-signs`, X-Road's model: the security server holds its members' signing keys).

Each agency code has at most one key and its certificate. The private key is kept sealed
(Fernet: AES-128-CBC + HMAC-SHA256) under the node's secret key (`axis.keys.node_secret`), never in
clear, or stays in a PKCS#11 token (`axis.keys.pkcs11`), the row naming it by label; the
certificate must be one the trust store authorizes for that code, so what the node
signs verifies like what the agency would have signed. Importing a key is an operator's act on
the node's machine (`axis keys import-agency-key`), audited.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Column, DateTime, String, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from axis.keys.node_secret import load_or_create
from axis.keys.pkcs11 import Token
from axis.settings import Settings
from axis.store.db import metadata
from envelopes.errors import PacketRefusal
from signing.certificates import PrivateKey, describe, load_certificate, load_private_key, pem
from signing.errors import SignatureCode, SignatureError
from signing.signer import sign_packet, signature_method_for

agency_keys = Table(
    "agency_keys",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("certificate", Text, nullable=False),
    Column("sealed_key", Text, nullable=True),
    Column("pkcs11_label", String(200), nullable=True),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

log = structlog.get_logger(__name__)

CACHE_SECONDS = 30.0
"""How long a signer keeps a key it read before reading it again (another process may have
replaced it)."""


class AgencyKeyError(ValueError):
    """A key cannot be imported as given; `code` names why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class AgencyKey:
    code: str
    certificate: x509.Certificate
    imported_at: datetime
    pkcs11_label: str | None = None
    """The key's label in the PKCS#11 token, when it is there rather than sealed here."""


class AgencyKeyStore:
    """The agency_keys table, read and written inside the caller's session."""

    def __init__(self, node_key: bytes, token: Token | None = None) -> None:
        self._fernet = Fernet(node_key)
        self._token = token

    async def put(
        self,
        session: AsyncSession,
        code: str,
        key: PrivateKey,
        certificate: x509.Certificate,
        *,
        at: datetime | None = None,
    ) -> AgencyKey:
        """Keep `key` (sealed) and `certificate` for `code`, replacing any earlier one."""
        try:
            signature_method_for(key, certificate)  # RSA >= 2048 or P-256, and its certificate's
        except SignatureError as error:
            raise AgencyKeyError("AGENCY_KEY_UNSUITABLE", error.message) from None
        sealed = self._fernet.encrypt(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ).decode("ascii")
        return await self._keep(session, code, certificate, sealed, None, at)

    async def put_token_key(
        self,
        session: AsyncSession,
        code: str,
        label: str,
        certificate: x509.Certificate,
        *,
        at: datetime | None = None,
    ) -> AgencyKey:
        """Name the PKCS#11 token's key `label` (whose certificate is `certificate`) as the one
        to sign for `code`, checking that the token holds it."""
        if self._token is None:
            raise AgencyKeyError(
                "PKCS11_NOT_CONFIGURED",
                "no PKCS#11 token is configured: set AXIS_PKCS11_MODULE, AXIS_PKCS11_TOKEN and "
                "AXIS_PKCS11_PIN_FILE",
            )
        public = certificate.public_key()
        if not isinstance(public, rsa.RSAPublicKey):
            raise AgencyKeyError("AGENCY_KEY_UNSUITABLE", "token keys must be RSA")
        try:
            self._token.key(label, public)
        except SignatureError as error:
            raise AgencyKeyError(error.code, error.message) from None
        return await self._keep(session, code, certificate, None, label, at)

    async def _keep(
        self,
        session: AsyncSession,
        code: str,
        certificate: x509.Certificate,
        sealed: str | None,
        label: str | None,
        at: datetime | None,
    ) -> AgencyKey:
        now = at or datetime.now(UTC)
        await session.execute(agency_keys.delete().where(agency_keys.c.code == code))
        await session.execute(
            agency_keys.insert().values(
                code=code, certificate=pem(certificate).decode("ascii"), sealed_key=sealed,
                pkcs11_label=label, imported_at=now,
            )
        )  # fmt: skip
        return AgencyKey(code, certificate, now, label)

    async def list(self, session: AsyncSession) -> list[AgencyKey]:
        rows = await session.execute(select(agency_keys).order_by(agency_keys.c.code))
        return [
            AgencyKey(
                row.code,
                x509.load_pem_x509_certificate(row.certificate.encode("ascii")),
                row.imported_at,
                row.pkcs11_label,
            )
            for row in rows
        ]

    async def remove(self, session: AsyncSession, code: str) -> bool:
        deleted = await session.execute(agency_keys.delete().where(agency_keys.c.code == code))
        return bool(getattr(deleted, "rowcount", 0))

    async def key_for(
        self, session: AsyncSession, code: str
    ) -> tuple[PrivateKey, x509.Certificate] | None:
        """The key and certificate held for `code`, unsealed; None when there is none or it was
        sealed under another node key."""
        row = (await session.execute(select(agency_keys).where(agency_keys.c.code == code))).first()
        if row is None:
            return None
        certificate = x509.load_pem_x509_certificate(row.certificate.encode("ascii"))
        if row.pkcs11_label is not None:
            public = certificate.public_key()
            if self._token is None or not isinstance(public, rsa.RSAPublicKey):
                return None
            return self._token.key(row.pkcs11_label, public), certificate
        try:
            pem_key = self._fernet.decrypt(row.sealed_key.encode("ascii"))
        except InvalidToken:
            return None
        key = serialization.load_pem_private_key(pem_key, password=None)
        if not isinstance(key, PrivateKey):
            return None
        return key, certificate


class NodeAgencySigner:
    """Signs packets for agencies with the keys the node holds (`routing.submission`'s
    `AgencySigner`); keys are read from the database and kept for `CACHE_SECONDS`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], store: AgencyKeyStore) -> None:
        self._sessions = sessions
        self._store = store
        self._cache: dict[str, tuple[float, tuple[PrivateKey, x509.Certificate]]] = {}

    async def sign(self, data: bytes, code: str) -> bytes:
        held = await self._held(code)
        if held is None:
            raise SignatureError(
                SignatureCode.NODE_KEY_MISSING,
                f"The node holds no key to sign for {code}: an operator imports one on the "
                f"node's machine (axis keys import-agency-key {code} --key KEY --cert CERT), "
                "with a certificate the trust store authorizes for that code.",
            )
        key, certificate = held
        return sign_packet(data, key, certificate)

    async def _held(self, code: str) -> tuple[PrivateKey, x509.Certificate] | None:
        cached = self._cache.get(code)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        async with self._sessions() as session:
            held = await self._store.key_for(session, code)
        if held is not None:  # a key imported a moment ago is used at once
            self._cache[code] = (time.monotonic(), held)
        return held


class NodeNoticeSigner:
    """Signs the node's 02 notices with its own key (`routing.notices.NoticeSigner`). A notice
    must reach its sender whatever happens: one that cannot be signed goes unsigned, logged."""

    def __init__(self, key: PrivateKey, certificate: x509.Certificate) -> None:
        signature_method_for(key, certificate)  # refuse an unsuitable key at start-up
        self._key = key
        self._certificate = certificate

    def sign(self, data: bytes) -> bytes:
        try:
            return sign_packet(data, self._key, self._certificate)
        except PacketRefusal as error:
            log.error("a 02 notice goes unsigned", code=str(error.code))
            return data


def notice_signer(settings: Settings) -> NodeNoticeSigner | None:
    """The node's notice signer, from AXIS_NOTICE_KEY_FILE and AXIS_NOTICE_CERT_FILE."""
    if settings.notice_key_file is None or settings.notice_cert_file is None:
        return None
    return NodeNoticeSigner(
        load_private_key(settings.notice_key_file), load_certificate(settings.notice_cert_file)
    )


def describe_key(key: AgencyKey) -> str:
    where = f"in the PKCS#11 token as {key.pkcs11_label!r}" if key.pkcs11_label else "sealed"
    return (
        f"{key.code}: {describe(key.certificate)}, {where}, "
        f"imported {key.imported_at:%Y-%m-%d %H:%M}"
    )


def key_store(settings: Settings) -> AgencyKeyStore:
    """The agency key store of a node: its secret key (created on first use) and its PKCS#11
    token when one is configured (opened and logged in now: a wrong PIN stops the start)."""
    return AgencyKeyStore(load_or_create(settings.secret_key_path), token(settings))


def token(settings: Settings) -> Token | None:
    if settings.pkcs11_module is None:
        return None
    assert settings.pkcs11_token is not None and settings.pkcs11_pin_file is not None
    return Token.from_pin_file(
        settings.pkcs11_module, settings.pkcs11_token, settings.pkcs11_pin_file
    )
