"""API clients: who may call the node, as which organization codes, in which roles.

A client is one system or person: a document management system (role `agency`, bound to the
codes it sends and receives for), the Government Office's registry tool (`registry-authority`),
an operator, or a clerk (dashboard). Each holds one secret, shown once when it is issued:

- as an API key (`Authorization: Bearer <secret>`) or the dashboard's password, it is checked
  against its SHA-256, which is all the database keeps for it;
- a client enabled for HMAC (the national SDK's `XroadVnpt-*` signed headers) signs every
  request with the secret itself, so the node must be able to compute the same HMAC: for those
  clients the secret is also kept sealed (Fernet, AES-128-CBC + HMAC-SHA256) under the node's
  secret key (`axis.keys.node_secret`), never in clear.

Secrets the node issues are 256-bit random strings, for which a plain SHA-256 is the right hash
(nothing to brute-force; a slow hash would cost every API call). A secret may be chosen instead (one
an agency already has configured in its SDK); it must pass `axis.store.secret_strength`. An HMAC
secret that does not (national SDK secrets were never held to a rule) is taken only under an
explicit operator override, `allow_weak_secret`, which the caller audits; such a client is marked
`weak_secret` and its secret then signs SDK requests only: it is no API key and no dashboard
password, where nothing names the client and failed guesses are counted by address alone.

A client may also be bound to a TLS client certificate (`certificate_sha256`, the SHA-256 of
its DER form): its requests are then refused unless they arrive over TLS with that certificate
(`Client.accepts`). `strict_parameters` makes the SDK operations refuse signed parameters they
do not use (`axis.http.compat`). Disabling a client or rotating its secret ends its dashboard
sessions (`axis.store.dashboard_sessions`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import string
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Boolean, Column, DateTime, String, Table, Text, false, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from axis.store import dashboard_sessions
from axis.store.db import metadata
from axis.store.secret_strength import strength
from routing.signature_policy import SignaturePolicy

CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Role(StrEnum):
    AGENCY = "agency"
    """Sends as its codes; reads its codes' inbox, sent items and tracking."""
    REGISTRY_AUTHORITY = "registry-authority"
    """Submits registry change sets (the Government Office)."""
    OPERATOR = "operator"
    """Dead letters, destinations, clients, the audit log."""
    CLERK = "clerk"
    """Reads tracking and the dashboard for its codes."""


api_clients = Table(
    "api_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_sha256", String(64), nullable=False, unique=True),
    Column("sealed_secret", Text, nullable=True),
    Column("codes", Text, nullable=False),
    Column("roles", Text, nullable=False),
    Column("hmac", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True), nullable=True),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("certificate_sha256", String(64), nullable=True),
    Column("strict_parameters", Boolean, nullable=False, server_default=false()),
    Column("weak_secret", Boolean, nullable=False, server_default=false()),
    Column("signature_policy", String(32), nullable=False, server_default="require"),
)


class ClientError(ValueError):
    """A client cannot be created or changed as asked; `code` names why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: what every route checks."""

    client_id: str
    name: str
    codes: frozenset[str]
    roles: frozenset[Role]
    signature_policy: SignaturePolicy = SignaturePolicy.REQUIRE
    """What its packets must carry as a signature (routing.signature_policy)."""

    def has(self, role: Role) -> bool:
        return role in self.roles

    def acts_for(self, code: str) -> bool:
        return code in self.codes


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    name: str
    codes: tuple[str, ...]
    roles: tuple[Role, ...]
    hmac: bool
    created_at: datetime
    rotated_at: datetime | None
    disabled_at: datetime | None
    certificate_sha256: str | None = None
    """The TLS client certificate its requests must arrive with (None: any or none)."""
    strict_parameters: bool = False
    """SDK operations refuse signed parameters they do not use (one SDK object per call)."""
    weak_secret: bool = False
    """Its secret was imported under the weak-secret override: it signs SDK requests only."""
    signature_policy: SignaturePolicy = SignaturePolicy.REQUIRE
    """What its packets must carry as a signature (routing.signature_policy)."""

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None

    def accepts(self, certificate: bytes | None) -> bool:
        """Whether a request over a connection that presented `certificate` (DER; None: no
        certificate, or no TLS) may act as this client."""
        if self.certificate_sha256 is None:
            return True
        return certificate is not None and hmac.compare_digest(
            fingerprint(certificate), self.certificate_sha256
        )

    @property
    def principal(self) -> Principal:
        return Principal(
            self.client_id, self.name, frozenset(self.codes), frozenset(self.roles),
            self.signature_policy,
        )  # fmt: skip

    def as_json(self) -> dict[str, object]:
        return {
            "client_id": self.client_id,
            "name": self.name,
            "codes": list(self.codes),
            "roles": [r.value for r in self.roles],
            "hmac": self.hmac,
            "created_at": self.created_at.isoformat(),
            "rotated_at": self.rotated_at.isoformat() if self.rotated_at else None,
            "disabled_at": self.disabled_at.isoformat() if self.disabled_at else None,
            "certificate_sha256": self.certificate_sha256,
            "strict_parameters": self.strict_parameters,
            "weak_secret": self.weak_secret,
            "signature_policy": self.signature_policy.value,
        }


@dataclass(frozen=True, slots=True)
class Issued:
    """A client and its secret, which is shown this once."""

    client: Client
    secret: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return "axk_" + secrets.token_urlsafe(32)


def fingerprint(certificate: bytes) -> str:
    """The SHA-256 of a certificate's DER bytes, lower-case hex: how a binding names it."""
    return hashlib.sha256(certificate).hexdigest()


def parse_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint as people copy it (`AB:CD:...` or `abcd...`), normalized; raises
    `ClientError` when it is not 64 hex digits."""
    digits = text.strip().replace(":", "").lower()
    if len(digits) != 64 or not set(digits) <= set(string.hexdigits.lower()):
        raise ClientError(
            "CLIENT_CERTIFICATE_INVALID",
            "a certificate fingerprint is its SHA-256: 64 hex digits, colons allowed "
            "(`openssl x509 -noout -fingerprint -sha256 -in client.pem`)",
        )
    return digits


def secret_audit(chosen: bool, weak: bool) -> dict[str, object]:
    """What the audit log records of a new client's secret: whether it was chosen or issued,
    and a weak one imported under the override (never the secret)."""
    detail: dict[str, object] = {"secret": "chosen" if chosen else "issued"}
    if weak:
        detail["weak_secret_override"] = True
    return detail


WEAK_OVERRIDE_ROLES = frozenset({Role.AGENCY, Role.REGISTRY_AUTHORITY})
"""The roles a client whose secret is weak may hold: those the SDK operations need."""


def parse_roles(values: Iterable[str]) -> tuple[Role, ...]:
    roles: list[Role] = []
    for value in values:
        try:
            role = Role(value.strip())
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ClientError(
                "CLIENT_ROLE_UNKNOWN", f"unknown role {value!r}; roles are {known}"
            ) from None
        if role not in roles:
            roles.append(role)
    return tuple(roles)


class ClientStore:
    """The clients table, read and written inside the caller's session."""

    def __init__(self, node_key: bytes) -> None:
        self._fernet = Fernet(node_key)

    async def add(
        self,
        session: AsyncSession,
        *,
        client_id: str | None,
        name: str,
        codes: Sequence[str],
        roles: Sequence[Role],
        hmac_enabled: bool = False,
        secret: str | None = None,
        allow_weak_secret: bool = False,
        at: datetime | None = None,
    ) -> Issued:
        """Create a client; its id is generated when not given. A chosen `secret` must be
        strong, unless `allow_weak_secret` (an operator importing an existing SDK secret, which
        the caller audits) for an HMAC client of the SDK's roles. Raises `ClientError`."""
        client_id = client_id or f"c-{secrets.token_hex(6)}"
        if not CLIENT_ID.match(client_id):
            raise ClientError(
                "CLIENT_ID_INVALID",
                f"client id {client_id!r} must be 1-64 letters, digits, '.', '_' or '-'",
            )
        if not roles:
            raise ClientError("CLIENT_ROLE_MISSING", "a client needs at least one role")
        if Role.AGENCY in roles and not codes:
            raise ClientError(
                "CLIENT_CODES_MISSING", "an agency client must be bound to at least one code"
            )
        if allow_weak_secret and not (hmac_enabled and set(roles) <= WEAK_OVERRIDE_ROLES):
            raise ClientError(
                "CLIENT_WEAK_SECRET_NOT_SDK",
                "a weak secret may be imported only for a national SDK client: with --hmac, "
                "and only the roles agency and registry-authority",
            )
        secret, weak = _checked_secret(secret, allow_weak=allow_weak_secret)
        now = at or datetime.now(UTC)
        if await self.get(session, client_id) is not None:
            raise ClientError("CLIENT_EXISTS", f"client {client_id!r} exists already")
        try:
            async with session.begin_nested():
                await session.execute(
                    api_clients.insert().values(
                        client_id=client_id, name=name, secret_sha256=digest(secret),
                        sealed_secret=self._seal(secret) if hmac_enabled else None,
                        codes=json.dumps(sorted(set(codes))),
                        roles=json.dumps([r.value for r in roles]), hmac=hmac_enabled,
                        created_at=now, rotated_at=None, disabled_at=None,
                        certificate_sha256=None, strict_parameters=False, weak_secret=weak,
                        signature_policy=SignaturePolicy.REQUIRE.value,
                    )
                )  # fmt: skip
        except IntegrityError:
            raise ClientError(
                "CLIENT_SECRET_REUSED", "that secret belongs to another client; choose another"
            ) from None
        client = await self.get(session, client_id)
        assert client is not None
        return Issued(client, secret)

    async def get(self, session: AsyncSession, client_id: str) -> Client | None:
        row = (
            await session.execute(select(api_clients).where(api_clients.c.client_id == client_id))
        ).first()
        return _client(row._mapping) if row is not None else None

    async def list(self, session: AsyncSession) -> list[Client]:
        rows = await session.execute(select(api_clients).order_by(api_clients.c.client_id))
        return [_client(row._mapping) for row in rows]

    async def disable(self, session: AsyncSession, client_id: str, *, at: datetime) -> Client:
        """Disable a client at once: its secret stops working and its dashboard sessions end.
        Raises `ClientError`."""
        await self._existing(session, client_id)
        await session.execute(
            update(api_clients)
            .where(api_clients.c.client_id == client_id, api_clients.c.disabled_at.is_(None))
            .values(disabled_at=at)
        )
        await dashboard_sessions.end_all(session, client_id)
        return await self._existing(session, client_id)

    async def bind_certificate(
        self, session: AsyncSession, client_id: str, certificate_sha256: str | None
    ) -> Client:
        """Bind the client to the TLS client certificate of this SHA-256 (None: unbind).
        Raises `ClientError`."""
        await self._existing(session, client_id)
        value = parse_fingerprint(certificate_sha256) if certificate_sha256 is not None else None
        await session.execute(
            update(api_clients)
            .where(api_clients.c.client_id == client_id)
            .values(certificate_sha256=value)
        )
        await dashboard_sessions.end_all(session, client_id)
        return await self._existing(session, client_id)

    async def set_strict_parameters(
        self, session: AsyncSession, client_id: str, strict: bool
    ) -> Client:
        """Whether the SDK operations refuse the client's signed parameters that they do not
        use. Raises `ClientError`."""
        await self._existing(session, client_id)
        await session.execute(
            update(api_clients)
            .where(api_clients.c.client_id == client_id)
            .values(strict_parameters=strict)
        )
        return await self._existing(session, client_id)

    async def rebind(self, session: AsyncSession, client_id: str, old: str, new: str) -> Client:
        """The client acts for `new` instead of `old`. Raises `ClientError`."""
        client = await self._existing(session, client_id)
        if old not in client.codes:
            raise ClientError(
                "CLIENT_CODE_NOT_HELD",
                f"client {client_id!r} does not act for {old}; it acts for "
                f"{', '.join(client.codes) or 'no code'}",
            )
        codes = sorted({new if code == old else code for code in client.codes})
        await session.execute(
            update(api_clients)
            .where(api_clients.c.client_id == client_id)
            .values(codes=json.dumps(codes))
        )
        return await self._existing(session, client_id)

    async def set_signature_policy(
        self, session: AsyncSession, client_id: str, policy: str
    ) -> Client:
        """What the client's packets must carry as a signature. Raises `ClientError`."""
        try:
            chosen = SignaturePolicy(policy)
        except ValueError:
            known = ", ".join(p.value for p in SignaturePolicy)
            raise ClientError(
                "CLIENT_SIGNATURE_POLICY_UNKNOWN",
                f"unknown signature policy {policy!r}; policies are {known}",
            ) from None
        await self._existing(session, client_id)
        await session.execute(
            update(api_clients)
            .where(api_clients.c.client_id == client_id)
            .values(signature_policy=chosen.value)
        )
        return await self._existing(session, client_id)

    async def rotate(
        self, session: AsyncSession, client_id: str, *, at: datetime, secret: str | None = None
    ) -> Issued:
        """Issue a new secret; the old one stops working at once, and the client's dashboard
        sessions end. A chosen `secret` must be strong. Raises `ClientError`."""
        client = await self._existing(session, client_id)
        secret, _ = _checked_secret(secret, allow_weak=False)
        try:
            async with session.begin_nested():
                await session.execute(
                    update(api_clients)
                    .where(api_clients.c.client_id == client_id)
                    .values(
                        secret_sha256=digest(secret),
                        sealed_secret=self._seal(secret) if client.hmac else None,
                        rotated_at=at,
                        weak_secret=False,
                    )
                )
        except IntegrityError:
            raise ClientError(
                "CLIENT_SECRET_REUSED", "that secret belongs to another client; choose another"
            ) from None
        await dashboard_sessions.end_all(session, client_id)
        return Issued(await self._existing(session, client_id), secret)

    async def by_secret(self, session: AsyncSession, secret: str) -> Client | None:
        """The enabled client holding this secret (an API key), or None (also for a client
        whose weak secret signs SDK requests only)."""
        row = (
            await session.execute(
                select(api_clients).where(api_clients.c.secret_sha256 == digest(secret))
            )
        ).first()
        if row is None:
            return None
        client = _client(row._mapping)
        return client if client.enabled and not client.weak_secret else None

    async def login(self, session: AsyncSession, client_id: str, secret: str) -> Client | None:
        """The enabled client `client_id` if `secret` is its secret (and not a weak one, which
        signs SDK requests only), else None."""
        row = (
            await session.execute(select(api_clients).where(api_clients.c.client_id == client_id))
        ).first()
        if row is None:
            return None
        if not hmac.compare_digest(row._mapping["secret_sha256"], digest(secret)):
            return None
        client = _client(row._mapping)
        return client if client.enabled and not client.weak_secret else None

    async def hmac_secret(self, session: AsyncSession, client_id: str) -> tuple[Client, str] | None:
        """An enabled HMAC client and its secret, to check a signed request; else None."""
        row = (
            await session.execute(select(api_clients).where(api_clients.c.client_id == client_id))
        ).first()
        if row is None or not row._mapping["hmac"] or row._mapping["sealed_secret"] is None:
            return None
        client = _client(row._mapping)
        if not client.enabled:
            return None
        try:
            secret = self._fernet.decrypt(row._mapping["sealed_secret"].encode("ascii"))
        except InvalidToken:
            # Sealed under another node key (the key file was replaced): unusable, not a crash.
            return None
        return client, secret.decode("utf-8")

    async def _existing(self, session: AsyncSession, client_id: str) -> Client:
        client = await self.get(session, client_id)
        if client is None:
            raise ClientError("CLIENT_NOT_FOUND", f"no client {client_id!r}")
        return client

    def _seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")


async def bound_to(session: AsyncSession, codes: Collection[str]) -> dict[str, list[str]]:
    """Per code of `codes`, the enabled clients that act for it (by id)."""
    wanted = set(codes)
    found: dict[str, list[str]] = {}
    for row in await session.execute(select(api_clients).order_by(api_clients.c.client_id)):
        client = _client(row._mapping)
        if client.enabled:
            for code in wanted.intersection(client.codes):
                found.setdefault(code, []).append(client.client_id)
    return found


def _checked_secret(secret: str | None, *, allow_weak: bool) -> tuple[str, bool]:
    """The secret to keep (a new one when none is chosen) and whether it is weak; raises
    `ClientError` for a weak chosen secret unless `allow_weak` (then only an empty one or one
    with spaces around it, which no SDK configuration could hold, is refused)."""
    if secret is None:
        return new_secret(), False
    judged = strength(secret)
    if judged.ok:
        return secret, False
    if allow_weak and secret and secret == secret.strip():
        return secret, True
    raise ClientError(
        "CLIENT_SECRET_WEAK",
        f"the chosen secret is refused: {judged.problem}"
        + (
            ""
            if allow_weak
            else " (an existing national SDK secret can be imported anyway with "
            "--allow-weak-secret, audited)"
        ),
    )


def _client(data: object) -> Client:
    row = dict(data)  # type: ignore[call-overload]
    return Client(
        client_id=row["client_id"],
        name=row["name"],
        codes=tuple(json.loads(row["codes"])),
        roles=tuple(Role(r) for r in json.loads(row["roles"])),
        hmac=bool(row["hmac"]),
        created_at=_aware(row["created_at"]),
        rotated_at=_aware(row["rotated_at"]) if row["rotated_at"] else None,
        disabled_at=_aware(row["disabled_at"]) if row["disabled_at"] else None,
        certificate_sha256=row["certificate_sha256"],
        strict_parameters=bool(row["strict_parameters"]),
        weak_secret=bool(row["weak_secret"]),
        signature_policy=SignaturePolicy(row["signature_policy"]),
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
