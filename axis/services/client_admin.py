"""API clients managed by an operator: create, disable, rotate a secret, bind to a TLS client
certificate, strict SDK parameters, signature policy, rebind across a code switch. `/v1/clients/...`
(the operators' API) and `axis clients add --local` call these functions; every change and its audit
entry are written in one transaction, so no change goes unaudited and no entry tells of a change
that was not made. `ClientError` says why a change is refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from axis.store import audit
from axis.store.credentials import Client, ClientError, ClientStore, Issued, Role, secret_audit
from orgcodes.resolver import Resolution


class Resolving(Protocol):
    """Where a code leads now (`orgcodes.service.RegistryService`)."""

    def resolve(self, code: str) -> Resolution: ...


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change, as the audit log names them (`client:ID`, or `user@host` for a
    command run on the node's machine), and the request it came in, if any."""

    name: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewClient:
    client_id: str | None
    """None: the node makes one."""
    name: str
    codes: Sequence[str]
    roles: Sequence[Role]
    hmac: bool = False
    secret: str | None = None
    """A secret the operator chose (None: the node makes one)."""
    allow_weak_secret: bool = False


class ClientAdmin:
    """The audited changes of API clients, over the node's credential store."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        store: ClientStore,
        *,
        registry: Resolving | None = None,
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._registry = registry
        """Where closed codes lead (for `rebind`); None where the registry is not loaded."""

    async def list(self) -> list[Client]:
        async with self._sessions() as session:
            return await self._store.list(session)

    async def add(self, new: NewClient, by: Actor, *, local: bool = False) -> Issued:
        """A client bound to codes and roles; its secret is in the answer only."""
        async with self._sessions.begin() as session:
            issued = await self._store.add(
                session, client_id=new.client_id, name=new.name, codes=list(new.codes),
                roles=list(new.roles), hmac_enabled=new.hmac, secret=new.secret,
                allow_weak_secret=new.allow_weak_secret,
            )  # fmt: skip
            detail: dict[str, Any] = {
                "codes": list(new.codes),
                "roles": [role.value for role in new.roles],
                "hmac": new.hmac,
                **({"local": True} if local else {}),
                **secret_audit(new.secret is not None, issued.client.weak_secret),
            }
            await _audit(session, by, "clients.add", issued.client.client_id, detail)
        return issued

    async def rotate(self, client_id: str, by: Actor) -> Issued:
        """A new secret; the old one stops working at once."""
        async with self._sessions.begin() as session:
            issued = await self._store.rotate(session, client_id, at=datetime.now(UTC))
            await _audit(session, by, "clients.rotate", client_id, {})
        return issued

    async def disable(self, client_id: str, by: Actor) -> Client:
        return await self._changed(
            client_id, by, "clients.disable",
            lambda session: self._store.disable(session, client_id, at=datetime.now(UTC)),
        )  # fmt: skip

    async def bind_certificate(self, client_id: str, sha256: str | None, by: Actor) -> Client:
        """Bind the client to the TLS client certificate of this SHA-256 (None: unbind)."""
        if sha256 is None:
            return await self._changed(
                client_id, by, "clients.unbind_certificate",
                lambda session: self._store.bind_certificate(session, client_id, None),
            )  # fmt: skip
        return await self._changed(
            client_id, by, "clients.bind_certificate",
            lambda session: self._store.bind_certificate(session, client_id, sha256),
            lambda client: {"sha256": client.certificate_sha256},
        )  # fmt: skip

    async def set_strict_parameters(self, client_id: str, strict: bool, by: Actor) -> Client:
        return await self._changed(
            client_id, by, "clients.strict_parameters",
            lambda session: self._store.set_strict_parameters(session, client_id, strict),
            lambda _: {"strict": strict},
        )  # fmt: skip

    async def set_signature_policy(self, client_id: str, policy: str, by: Actor) -> Client:
        return await self._changed(
            client_id, by, "clients.signature_policy",
            lambda session: self._store.set_signature_policy(session, client_id, policy),
            lambda _: {"policy": policy},
        )  # fmt: skip

    async def rebind(self, client_id: str, old: str, new: str, by: Actor) -> Client:
        """Across a code switch: the client acts for `new`, the unit `old` now leads to (its
        successor, or one of the candidates of a split), instead of `old`. Nothing moves a
        client to a successor by itself: an operator says so, audited."""
        if self._registry is None:
            raise ClientError("CLIENT_REBIND_UNAVAILABLE", "this command needs the node's registry")
        found = self._registry.resolve(old)
        leads_to = (found.target,) if found.target is not None else found.candidates
        if found.target == old or new not in leads_to:
            where = (
                "it is still active" if found.target == old
                else f"it leads to {', '.join(leads_to)}" if leads_to
                else found.reason or f"it leads nowhere ({found.outcome.value})"
            )  # fmt: skip
            raise ClientError(
                "CLIENT_REBIND_NOT_SUCCESSOR",
                f"{new} is not where {old} leads in registry version {found.version}: {where}",
            )
        return await self._changed(
            client_id, by, "clients.rebind",
            lambda session: self._store.rebind(session, client_id, old, new),
            lambda _: {"from": old, "to": new, "registry_version": found.version},
        )  # fmt: skip

    async def _changed(
        self,
        client_id: str,
        by: Actor,
        action: str,
        change: Callable[[AsyncSession], Awaitable[Client]],
        detail: Callable[[Client], dict[str, object]] = lambda _: {},
    ) -> Client:
        """One change of a client, made and audited in one transaction; the client as it is."""
        async with self._sessions.begin() as session:
            client = await change(session)
            await _audit(session, by, action, client_id, detail(client))
        return client


async def _audit(
    session: AsyncSession, by: Actor, action: str, target: str, detail: dict[str, Any]
) -> None:
    entry = audit.AuditEntry(
        actor=by.name, action=action, target=target, detail=detail, request_id=by.request_id
    )
    await audit.append(session, entry)
