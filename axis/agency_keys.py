"""Keys the node holds to sign for agencies whose document management systems do not sign
(`node-signs`, X-Road's model: the security server holds its members' signing keys).

Each agency code has at most one key and its certificate. The private key is kept sealed
(Fernet: AES-128-CBC + HMAC-SHA256) under the node's secret key (`axis.node_secret`), never in
clear; the certificate must be one the trust store authorizes for that code, so what the node
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
from sqlalchemy import Column, DateTime, String, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from axis.db import metadata
from axis.node_secret import load_or_create
from axis.settings import Settings
from envelopes.errors import PacketRefusal
from signing.certificates import PrivateKey, describe, load_certificate, load_private_key, pem
from signing.errors import SignatureCode, SignatureError
from signing.signer import sign_packet, signature_method_for

agency_keys = Table(
    "agency_keys",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("certificate", Text, nullable=False),
    Column("sealed_key", Text, nullable=False),
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


class AgencyKeyStore:
    """The agency_keys table, read and written inside the caller's session."""

    def __init__(self, node_key: bytes) -> None:
        self._fernet = Fernet(node_key)

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
        now = at or datetime.now(UTC)
        await session.execute(agency_keys.delete().where(agency_keys.c.code == code))
        await session.execute(
            agency_keys.insert().values(
                code=code, certificate=pem(certificate).decode("ascii"), sealed_key=sealed,
                imported_at=now,
            )
        )  # fmt: skip
        return AgencyKey(code, certificate, now)

    async def list(self, session: AsyncSession) -> list[AgencyKey]:
        rows = await session.execute(select(agency_keys).order_by(agency_keys.c.code))
        return [
            AgencyKey(
                row.code,
                x509.load_pem_x509_certificate(row.certificate.encode("ascii")),
                row.imported_at,
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
        try:
            pem_key = self._fernet.decrypt(row.sealed_key.encode("ascii"))
        except InvalidToken:
            return None
        key = serialization.load_pem_private_key(pem_key, password=None)
        if not isinstance(key, PrivateKey):
            return None
        return key, x509.load_pem_x509_certificate(row.certificate.encode("ascii"))


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
    return f"{key.code}: {describe(key.certificate)}, imported {key.imported_at:%Y-%m-%d %H:%M}"


def node_signer(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> NodeAgencySigner:
    """The signer a node uses, with its secret key (created on first use)."""
    return NodeAgencySigner(sessions, AgencyKeyStore(load_or_create(settings.secret_key_path)))
