"""`AxisClient`: the node's API for blocking code, over `httpx.Client`; the methods of
`AsyncAxisClient`, performing the same `Call`s."""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Mapping, Sequence
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

__all__ = ["AxisClient"]

T = TypeVar("T")


class AxisClient:
    """The node's API for blocking code: the methods of `AsyncAxisClient` (see there), over
    `httpx.Client`. Use it as `with AxisClient(...) as axis:` (or call `close()`)."""

    def __init__(
        self,
        base_url: str,
        secret: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, headers=calls.request_headers(secret), timeout=timeout,
            transport=transport, verify=verify,
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"AxisClient({self.base_url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _do(self, call: calls.Call[T]) -> T:
        try:
            response = self._http.request(
                call.method, call.path, params=call.params, json=call.json,
                content=call.content, headers=call.headers,
            )  # fmt: skip
        except httpx.TransportError as error:
            raise unreachable(self.base_url, error) from error
        return calls.read_answer(call, response)

    def send(self, packet: bytes) -> SendResult:
        return self._do(calls.send(packet))

    def inbox(
        self,
        kind: Kind | None = None,
        since: int = 0,
        limit: int = 100,
        code: str | None = None,
        pending: bool = False,
    ) -> InboxPage:
        return self._do(calls.inbox(kind, since, limit, code, pending))

    def iter_inbox(
        self,
        kind: Kind | None = None,
        since: int = 0,
        code: str | None = None,
        pending: bool = False,
        page_size: int = 100,
    ) -> Iterator[InboxItem]:
        while True:
            page = self.inbox(kind, since, page_size, code, pending)
            yield from page.items
            if len(page.items) < page_size:
                return
            since = page.next_since

    def fetch(self, message_id: str) -> bytes:
        return self._do(calls.fetch(message_id))

    def ack(self, message_id: str, answer: AckAnswer, detail: str | None = None) -> AckResult:
        return self._do(calls.ack(message_id, answer, detail))

    def sent(
        self, since: datetime | None = None, limit: int = 100, code: str | None = None
    ) -> list[SentMessage]:
        return self._do(calls.sent(since, limit, code))

    def tracking(self, key: str) -> list[TrackingReport]:
        return self._do(calls.tracking(key))

    def registry_units(
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
        return self._do(calls.registry_units(q, parent, status, level, at, offset, limit))

    def registry_unit(self, code: str, at: datetime | None = None) -> UnitDetail:
        return self._do(calls.registry_unit(code, at))

    def registry_changes(self, since: int = 0, limit: int = 100) -> list[RegistryVersion]:
        return self._do(calls.registry_changes(since, limit))

    def submit_change_set(self, change_set: Mapping[str, Any] | bytes) -> AppliedChangeSet:
        return self._do(calls.submit_change_set(change_set))

    def registry_snapshot(self) -> bytes:
        return self._do(calls.registry_snapshot())

    def dead_letters(
        self,
        recipient: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        replayed: bool = False,
        limit: int = 100,
    ) -> list[DeadLetter]:
        return self._do(calls.dead_letters(recipient, since, until, replayed, limit))

    def dead_letter(self, dead_letter_id: int) -> DeadLetter:
        return self._do(calls.dead_letter(dead_letter_id))

    def replay(
        self,
        ids: Sequence[int] | None = None,
        *,
        recipient: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ReplayedLetter]:
        return self._do(calls.replay(ids, recipient, since, until))

    def paused(self) -> list[PausedDestination]:
        return self._do(calls.paused())

    def pause(self, code: str, reason: str) -> DestinationChange:
        return self._do(calls.pause(code, reason))

    def resume(self, code: str) -> DestinationChange:
        return self._do(calls.resume(code))

    def clients(self) -> list[ClientInfo]:
        return self._do(calls.clients())

    def add_client(
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
        return self._do(
            calls.add_client(name, roles, codes, client_id, hmac, secret, allow_weak_secret)
        )

    def disable_client(self, client_id: str) -> ClientInfo:
        return self._do(calls.disable_client(client_id))

    def bind_certificate(
        self, client_id: str, *, certificate_pem: str | None = None, sha256: str | None = None
    ) -> ClientInfo:
        return self._do(calls.bind_certificate(client_id, certificate_pem, sha256))

    def unbind_certificate(self, client_id: str) -> ClientInfo:
        return self._do(calls.unbind_certificate(client_id))

    def set_strict_parameters(self, client_id: str, strict: bool) -> ClientInfo:
        return self._do(calls.strict_parameters(client_id, strict))

    def rebind_client(self, client_id: str, old: str, new: str) -> ClientInfo:
        return self._do(calls.rebind_client(client_id, old, new))

    def set_signature_policy(self, client_id: str, policy: str) -> ClientInfo:
        return self._do(calls.signature_policy(client_id, policy))

    def rotate_client(self, client_id: str) -> IssuedClient:
        return self._do(calls.rotate_client(client_id))

    def audit(self, limit: int = 100, actor: str | None = None) -> list[AuditEntry]:
        return self._do(calls.audit(limit, actor))
