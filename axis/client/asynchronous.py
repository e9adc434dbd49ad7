"""`AsyncAxisClient`: the node's API for asyncio code, over `httpx.AsyncClient`."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import httpx

from axis.client import calls
from axis.client.calls import DEFAULT_TIMEOUT
from axis.client.errors import unreachable
from axis.client.models import (
    AckAnswer,
    AckResult,
    AppliedChangeSet,
    AuditEntry,
    ClientInfo,
    DeadLetter,
    DestinationChange,
    InboxItem,
    InboxPage,
    IssuedClient,
    Kind,
    PausedDestination,
    RegistryVersion,
    ReplayedLetter,
    SendResult,
    SentMessage,
    TrackingReport,
    UnitDetail,
    UnitPage,
)

__all__ = ["AsyncAxisClient"]

T = TypeVar("T")


class AsyncAxisClient:
    """The node's API for asyncio code. Use it as `async with AsyncAxisClient(...) as axis:`
    (or call `aclose()`); one client keeps its connections open between calls.

    `secret` is the client's secret as issued by `axis clients add`; `transport` replaces the
    network (e.g. `httpx.ASGITransport(app=...)` to call an app in process); `verify` is how an
    https node is trusted: an `ssl.SSLContext` (`ssl.create_default_context(cafile=...)`, with
    `load_cert_chain(...)` for a client bound to a TLS client certificate), or True for the
    usual authorities."""

    def __init__(
        self,
        base_url: str,
        secret: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=calls.request_headers(secret), timeout=timeout,
            transport=transport, verify=verify,
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"AsyncAxisClient({self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _do(self, call: calls.Call[T]) -> T:
        try:
            response = await self._http.request(
                call.method, call.path, params=call.params, json=call.json,
                content=call.content, headers=call.headers,
            )  # fmt: skip
        except httpx.TransportError as error:
            raise unreachable(self.base_url, error) from error
        return calls.read_answer(call, response)

    # documents (role agency; tracking also clerk and operator)

    async def send(self, packet: bytes) -> SendResult:
        """Submit a signed edXML packet (its bytes exactly as signed); per recipient, whether
        it was routed, redirected (and to whom) or rejected. Sending the same packet again
        answers the first answer with `duplicate=True`."""
        return await self._do(calls.send(packet))

    async def inbox(
        self,
        kind: Kind | None = None,
        since: int = 0,
        limit: int = 100,
        code: str | None = None,
        pending: bool = False,
    ) -> InboxPage:
        """One page of the inbox after the cursor `since`, oldest first; `pending`: only
        items not answered `done`/`fail`; `code`: one of the client's codes only."""
        return await self._do(calls.inbox(kind, since, limit, code, pending))

    async def iter_inbox(
        self,
        kind: Kind | None = None,
        since: int = 0,
        code: str | None = None,
        pending: bool = False,
        page_size: int = 100,
    ) -> AsyncIterator[InboxItem]:
        """Every inbox item after `since`, page after page (following `next_since`)."""
        while True:
            page = await self.inbox(kind, since, page_size, code, pending)
            for item in page.items:
                yield item
            if len(page.items) < page_size:
                return
            since = page.next_since

    async def fetch(self, message_id: str) -> bytes:
        """The packet's bytes exactly as the sender signed them (the first fetch is tracked)."""
        return await self._do(calls.fetch(message_id))

    async def ack(self, message_id: str, answer: AckAnswer, detail: str | None = None) -> AckResult:
        """Acknowledge a packet: `processing`, then `done` or `fail` (final; a different final
        answer afterwards raises `INBOX_ACK_CONFLICT`)."""
        return await self._do(calls.ack(message_id, answer, detail))

    async def sent(
        self, since: datetime | None = None, limit: int = 100, code: str | None = None
    ) -> list[SentMessage]:
        """What the client's codes sent (at or after `since`), newest first."""
        return await self._do(calls.sent(since, limit, code))

    async def tracking(self, key: str) -> list[TrackingReport]:
        """Per recipient, where a message stands and its timeline; `key` is a message id or a
        DocumentId (every message with it)."""
        return await self._do(calls.tracking(key))

    # registry (every role reads; the registry authority submits)

    async def registry_units(
        self,
        q: str | None = None,
        *,
        parent: str | None = None,
        status: Literal["active", "closed"] | None = None,
        level: int | None = None,
        at: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> UnitPage:
        """Units whose state at `at` (default now) matches; `q` is searched in code and name."""
        return await self._do(calls.registry_units(q, parent, status, level, at, offset, limit))

    async def registry_unit(self, code: str, at: datetime | None = None) -> UnitDetail:
        """One unit at `at`, its history, and where a packet addressed to it goes."""
        return await self._do(calls.registry_unit(code, at))

    async def registry_changes(self, since: int = 0, limit: int = 100) -> list[RegistryVersion]:
        """The change sets applied after version `since`, oldest first."""
        return await self._do(calls.registry_changes(since, limit))

    async def submit_change_set(self, change_set: Mapping[str, Any] | bytes) -> AppliedChangeSet:
        """Apply a change set as the next registry version (registry authority); bytes are
        sent as they are (a change set file)."""
        return await self._do(calls.submit_change_set(change_set))

    async def registry_snapshot(self) -> bytes:
        """The signed registry snapshot (the authority's node only)."""
        return await self._do(calls.registry_snapshot())

    # operators

    async def dead_letters(
        self,
        recipient: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        replayed: bool = False,
        limit: int = 100,
    ) -> list[DeadLetter]:
        return await self._do(calls.dead_letters(recipient, since, until, replayed, limit))

    async def dead_letter(self, dead_letter_id: int) -> DeadLetter:
        """One dead letter with its delivery record."""
        return await self._do(calls.dead_letter(dead_letter_id))

    async def replay(
        self,
        ids: Sequence[int] | None = None,
        *,
        recipient: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ReplayedLetter]:
        """Send dead letters back to delivery: by id, or by recipient and/or time window."""
        return await self._do(calls.replay(ids, recipient, since, until))

    async def paused(self) -> list[PausedDestination]:
        return await self._do(calls.paused())

    async def pause(self, code: str, reason: str) -> DestinationChange:
        """Hold deliveries to `code` (they wait on the retry tiers without failing)."""
        return await self._do(calls.pause(code, reason))

    async def resume(self, code: str) -> DestinationChange:
        return await self._do(calls.resume(code))

    async def clients(self) -> list[ClientInfo]:
        return await self._do(calls.clients())

    async def add_client(
        self,
        name: str,
        *,
        roles: Sequence[str],
        codes: Sequence[str] = (),
        client_id: str | None = None,
        hmac: bool = False,
        secret: str | None = None,
        allow_weak_secret: bool = False,
    ) -> IssuedClient:
        """Create a client; its secret is in this answer only. A chosen `secret` must be strong,
        unless `allow_weak_secret` (an existing SDK secret of an `hmac` client; audited)."""
        call = calls.add_client(name, roles, codes, client_id, hmac, secret, allow_weak_secret)
        return await self._do(call)

    async def disable_client(self, client_id: str) -> ClientInfo:
        return await self._do(calls.disable_client(client_id))

    async def bind_certificate(
        self, client_id: str, *, certificate_pem: str | None = None, sha256: str | None = None
    ) -> ClientInfo:
        """Refuse the client's requests unless they come over TLS with this certificate (give
        the PEM or its SHA-256 fingerprint)."""
        return await self._do(calls.bind_certificate(client_id, certificate_pem, sha256))

    async def unbind_certificate(self, client_id: str) -> ClientInfo:
        return await self._do(calls.unbind_certificate(client_id))

    async def set_strict_parameters(self, client_id: str, strict: bool) -> ClientInfo:
        """Whether the SDK operations refuse the client's signed parameters they do not use."""
        return await self._do(calls.strict_parameters(client_id, strict))

    async def rebind_client(self, client_id: str, old: str, new: str) -> ClientInfo:
        """The client acts for `new`, where the closed code `old` leads, instead of `old`."""
        return await self._do(calls.rebind_client(client_id, old, new))

    async def set_signature_policy(self, client_id: str, policy: str) -> ClientInfo:
        """`require`, `node-signs` or `accept-authenticated`: what the client's packets must
        carry as a signature."""
        return await self._do(calls.signature_policy(client_id, policy))

    async def rotate_client(self, client_id: str) -> IssuedClient:
        """A new secret; the old one stops working at once."""
        return await self._do(calls.rotate_client(client_id))

    async def audit(self, limit: int = 100, actor: str | None = None) -> list[AuditEntry]:
        """The audit log, newest first."""
        return await self._do(calls.audit(limit, actor))
