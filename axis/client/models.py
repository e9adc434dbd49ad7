"""A client of an axis node's HTTP API (`/v1`), for document management systems, operators'
scripts and the `axis` command itself.

`AsyncAxisClient` (asyncio) and `AxisClient` (blocking) have the same methods; each route is
described once (`_Call`: method, path, query, body, how to read the answer) and both clients
only differ in how they perform the request, so they cannot drift apart. Answers are frozen
pydantic models mirroring the node's response models (they are declared here rather than
imported from `axis.http`, which would pull the whole node, FastAPI and Kafka into a DMS).

Every refusal raises `AxisError` with the node's machine code (`INBOX_ACK_CONFLICT`,
`ROLE_REQUIRED`, ...) and sentence; an answer that is not the node's JSON error (a proxy's 502
page) gets `HTTP_<status>`, and a node that cannot be reached gets `NODE_UNREACHABLE` (or
`NODE_TIMEOUT`), with the URL, so callers handle one exception type.

Example: one pass of a document management system's loop (run it every few seconds): send a
signed packet (`axis sign`), then take every document waiting in the inbox, fetch it, store it
and acknowledge it `done`. Status packets arrive the same way with `kind="status"`::

    import asyncio
    import os
    import sys
    from pathlib import Path

    from axis.client import AsyncAxisClient, AxisError


    async def main(packet: Path, inbox_dir: Path) -> None:
        async with AsyncAxisClient(os.environ["AXIS_URL"], os.environ["AXIS_SECRET"]) as axis:
            try:
                sent = await axis.send(packet.read_bytes())
            except AxisError as error:  # e.g. SIGNATURE_INVALID, SUBMIT_SENDER_NOT_ALLOWED
                sys.exit(f"{error.code}: {error.message}")
            for recipient in sent.recipients:
                print(recipient.addressed, recipient.outcome, recipient.target or recipient.reason)
            async for item in axis.iter_inbox(kind="edoc", pending=True):
                data = await axis.fetch(item.message_id)
                (inbox_dir / f"{item.message_id}.xml").write_bytes(data)
                await axis.ack(item.message_id, "done")
                print("received", item.document_id, "from", item.sender)


    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))

The blocking `AxisClient` reads the same, without `async`/`await` (`with AxisClient(...)`).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Literal, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

__all__ = [
    "AckAnswer",
    "AckResult",
    "AppliedChangeSet",
    "AsyncAxisClient",
    "AuditEntry",
    "AxisClient",
    "AxisError",
    "ClientInfo",
    "DeadLetter",
    "DestinationChange",
    "InboxItem",
    "InboxPage",
    "IssuedClient",
    "PausedDestination",
    "RecipientOutcome",
    "RecipientState",
    "RegistryVersion",
    "ReplayedLetter",
    "Resolution",
    "SendResult",
    "SentMessage",
    "TimelineStep",
    "TrackedRecipient",
    "TrackingReport",
    "Unit",
    "UnitDetail",
    "UnitPage",
]

DEFAULT_TIMEOUT = 30.0
USER_AGENT = "axis-client/0.1.0"
T = TypeVar("T")
AckAnswer = Literal["processing", "done", "fail"]
Kind = Literal["edoc", "status"]


class AxisError(Exception):
    """The node refused a request, or could not be reached.

    `status` is the HTTP status (None when no answer came: `NODE_UNREACHABLE`,
    `NODE_TIMEOUT`); `code` the node's machine code; `problems` the details some refusals
    carry (validation errors, a packet's schema problems)."""

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        problems: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.problems: list[dict[str, Any]] = [dict(p) for p in problems]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- documents ------------------------------------------------------------------------------


class RecipientOutcome(_Model):
    addressed: str
    """The code the sender wrote."""
    outcome: Literal["routed", "redirected", "rejected"]
    target: str | None
    """The unit that receives it (after redirects)."""
    chain: list[str]
    reason_code: str | None
    reason: str | None


class Finding(_Model):
    code: str
    severity: str
    """Always `finding` in an answer: accepted and reported (errors refuse the packet)."""
    location: str
    message: str


class SendResult(_Model):
    message_id: str
    kind: str
    sender: str
    document_id: str
    duplicate: bool
    """The same packet was accepted before; this is that answer."""
    recipients: list[RecipientOutcome]
    findings: list[Finding] = []
    """What the node accepted but reports: fix these in the next packets."""
    signature: str = "verified"
    """`verified`, `node-signed` or `client-authenticated` (unsigned, on the client's
    credentials)."""

    @property
    def rejected(self) -> list[RecipientOutcome]:
        """The recipients the node refused to route to (the sender gets a status 02 too)."""
        return [r for r in self.recipients if r.outcome == "rejected"]


class InboxItem(_Model):
    id: int
    """The cursor: pass the last one handled as `since`."""
    message_id: str
    kind: Kind
    recipient: str
    sender: str
    document_id: str
    addressed_to: str | None
    size: int
    received_at: datetime
    fetched_at: datetime | None
    ack: AckAnswer | None
    ack_at: datetime | None


class InboxPage(_Model):
    items: list[InboxItem]
    next_since: int


class AckResult(_Model):
    item: InboxItem
    changed: bool
    """False when the same answer was recorded before."""


class RecipientState(_Model):
    recipient: str
    addressed_to: str | None
    phase: str
    status: str | None
    attempts: int
    updated_at: datetime
    last_error: str | None


class SentMessage(_Model):
    message_id: str
    kind: str
    sender: str
    document_id: str
    subject: str | None
    submitted_at: datetime
    recipients: list[RecipientState]


class TimelineStep(_Model):
    at: datetime
    event: str
    status: str | None
    effect: str
    detail: str | None
    node: str


class TrackedRecipient(RecipientState):
    timeline: list[TimelineStep]


class TrackingReport(_Model):
    message_id: str
    kind: str
    sender: str
    document_id: str
    submitted_at: datetime
    recipients: list[TrackedRecipient]


# --- registry -------------------------------------------------------------------------------


class Unit(_Model):
    code: str
    name: str
    parent: str | None
    level: int
    status: Literal["active", "closed"]
    since: datetime
    until: datetime | None
    version: int
    alt_code: str | None
    successors: list[str]
    old_codes: list[str]
    delivery_mode: str
    endpoint: str | None
    email: str | None
    phone: str | None


class UnitPage(_Model):
    total: int
    offset: int
    units: list[Unit]


class Resolution(_Model):
    input: str
    outcome: str
    target: str | None
    chain: list[str]
    candidates: list[str]
    version: int


class UnitDetail(_Model):
    unit: Unit | None
    """The unit's state at the time asked (None before it existed)."""
    history: list[Unit]
    resolve: Resolution
    """Where a packet addressed to the code goes."""


class RegistryVersion(_Model):
    version: int
    effective: datetime
    applied_at: datetime
    applied_by: str
    source: str
    reason: str
    payload_sha256: str
    change_set: dict[str, Any]


class AppliedChangeSet(_Model):
    version: int
    effective: datetime
    warnings: list[str]


# --- operators ------------------------------------------------------------------------------


class DeadLetter(_Model):
    id: int
    message_id: str
    kind: str
    sender: str
    recipient: str
    document_id: str
    origin: str | None
    failures: int
    first_failed_at: datetime | None
    first_error: str | None
    last_error: str | None
    error_class: str | None
    reason: str | None
    dead_at: datetime
    replayed_at: datetime | None
    replayed_by: str | None
    record: dict[str, Any] | None = None
    """The delivery record, when one dead letter is inspected."""


class ReplayedLetter(_Model):
    dead_letter_id: int
    message_id: str
    recipient: str


class PausedDestination(_Model):
    code: str
    paused_by: str
    paused_at: datetime
    reason: str


class DestinationChange(_Model):
    code: str
    changed: bool
    """False when it was already so."""


class ClientInfo(_Model):
    client_id: str
    name: str
    codes: list[str]
    roles: list[str]
    hmac: bool
    created_at: datetime
    rotated_at: datetime | None
    disabled_at: datetime | None
    certificate_sha256: str | None = None
    strict_parameters: bool = False
    weak_secret: bool = False
    signature_policy: str = "require"
    """`require`, `node-signs` or `accept-authenticated` (see the node's README)."""


class IssuedClient(_Model):
    client: ClientInfo
    secret: str
    """Shown this once: the node keeps its hash (and an HMAC client's secret sealed)."""


class AuditEntry(_Model):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    request_id: str | None


# --- the routes, described once for both clients ---------------------------------------------


@dataclass(frozen=True, slots=True)
class _Call(Generic[T]):
    """One request and how to read its successful answer."""

    method: str
    path: str
    read: Callable[[httpx.Response], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] | None = None


_ADAPTERS: dict[object, TypeAdapter[Any]] = {}


def _adapter(kind: type[T]) -> TypeAdapter[T]:
    """One validator per answer type, made on first use (making one costs more than a call)."""
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def _reader(kind: type[T]) -> Callable[[httpx.Response], T]:
    """Reads a JSON answer as `kind` (a model or `list[model]`)."""

    def read(response: httpx.Response) -> T:
        try:
            value: T = _adapter(kind).validate_json(response.content)
        except ValidationError as error:
            raise AxisError(
                response.status_code,
                "RESPONSE_INVALID",
                f"The answer of {response.request.method} {response.request.url.path} is not "
                f"what this client expects ({error.error_count()} problem(s)): is the node a "
                "different version?",
                [
                    {"where": ".".join(map(str, e["loc"])), "problem": e["msg"]}
                    for e in error.errors()
                ],
            ) from None
        return value

    return read


def _body(response: httpx.Response) -> bytes:
    return response.content


def _segment(value: str) -> str:
    """`value` as one path segment (a `/` or `?` in it cannot reach another route)."""
    return quote(value, safe="")


def _query(**values: Any) -> dict[str, Any]:
    """The query without unset values (httpx would send them as empty strings)."""
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in values.items()
        if value is not None
    }


def _send(packet: bytes) -> _Call[SendResult]:
    return _Call("POST", "/v1/packets", _reader(SendResult), content=packet,
                 headers={"Content-Type": "application/xml"})  # fmt: skip


def _inbox(
    kind: Kind | None, since: int, limit: int, code: str | None, pending: bool
) -> _Call[InboxPage]:
    params = _query(kind=kind, since=since, limit=limit, code=code, pending=pending or None)
    return _Call("GET", "/v1/inbox", _reader(InboxPage), params=params)


def _fetch(message_id: str) -> _Call[bytes]:
    return _Call("GET", f"/v1/packets/{_segment(message_id)}", _body)


def _ack(message_id: str, answer: AckAnswer, detail: str | None) -> _Call[AckResult]:
    body = {"ack": answer, **({"detail": detail} if detail is not None else {})}
    return _Call("POST", f"/v1/inbox/{_segment(message_id)}/ack", _reader(AckResult), json=body)


def _sent(since: datetime | None, limit: int, code: str | None) -> _Call[list[SentMessage]]:
    params = _query(since=since, limit=limit, code=code)
    return _Call("GET", "/v1/sent", _reader(list[SentMessage]), params=params)


def _tracking(key: str) -> _Call[list[TrackingReport]]:
    return _Call("GET", f"/v1/tracking/{_segment(key)}", _reader(list[TrackingReport]))


def _registry_units(
    q: str | None,
    parent: str | None,
    status: Literal["active", "closed"] | None,
    level: int | None,
    at: datetime | None,
    offset: int,
    limit: int,
) -> _Call[UnitPage]:
    params = _query(q=q, parent=parent, status=status, level=level, at=at, offset=offset,
                    limit=limit)  # fmt: skip
    return _Call("GET", "/v1/registry/units", _reader(UnitPage), params=params)


def _registry_unit(code: str, at: datetime | None) -> _Call[UnitDetail]:
    path = f"/v1/registry/units/{_segment(code)}"
    return _Call("GET", path, _reader(UnitDetail), params=_query(at=at))


def _registry_changes(since: int, limit: int) -> _Call[list[RegistryVersion]]:
    params = _query(since=since, limit=limit)
    return _Call("GET", "/v1/registry/changes", _reader(list[RegistryVersion]), params=params)


def _submit_change_set(change_set: Mapping[str, Any] | bytes) -> _Call[AppliedChangeSet]:
    path = "/v1/registry/changesets"
    read = _reader(AppliedChangeSet)
    if isinstance(change_set, bytes):
        headers = {"Content-Type": "application/json"}
        return _Call("POST", path, read, content=change_set, headers=headers)
    return _Call("POST", path, read, json=dict(change_set))


def _registry_snapshot() -> _Call[bytes]:
    return _Call("GET", "/v1/registry/snapshot", _body)


def _dead_letters(
    recipient: str | None,
    since: datetime | None,
    until: datetime | None,
    replayed: bool,
    limit: int,
) -> _Call[list[DeadLetter]]:
    params = _query(recipient=recipient, since=since, until=until, replayed=replayed or None,
                    limit=limit)  # fmt: skip
    return _Call("GET", "/v1/dead-letters", _reader(list[DeadLetter]), params=params)


def _dead_letter(dead_letter_id: int) -> _Call[DeadLetter]:
    return _Call("GET", f"/v1/dead-letters/{int(dead_letter_id)}", _reader(DeadLetter))


def _replay(
    ids: Sequence[int] | None,
    recipient: str | None,
    since: datetime | None,
    until: datetime | None,
) -> _Call[list[ReplayedLetter]]:
    body = _query(ids=list(ids) if ids else None, recipient=recipient, since=since, until=until)
    return _Call("POST", "/v1/dead-letters/replay", _reader(list[ReplayedLetter]), json=body)


def _paused() -> _Call[list[PausedDestination]]:
    return _Call("GET", "/v1/destinations/paused", _reader(list[PausedDestination]))


def _pause(code: str, reason: str) -> _Call[DestinationChange]:
    path = f"/v1/destinations/{_segment(code)}/pause"
    return _Call("POST", path, _reader(DestinationChange), json={"reason": reason})


def _resume(code: str) -> _Call[DestinationChange]:
    return _Call("POST", f"/v1/destinations/{_segment(code)}/resume", _reader(DestinationChange))


def _clients() -> _Call[list[ClientInfo]]:
    return _Call("GET", "/v1/clients", _reader(list[ClientInfo]))


def _add_client(
    name: str,
    roles: Sequence[str],
    codes: Sequence[str],
    client_id: str | None,
    hmac: bool,
    secret: str | None,
    allow_weak_secret: bool,
) -> _Call[IssuedClient]:
    body = _query(
        client_id=client_id, name=name, codes=list(codes), roles=list(roles), hmac=hmac,
        secret=secret, allow_weak_secret=allow_weak_secret or None,
    )  # fmt: skip
    return _Call("POST", "/v1/clients", _reader(IssuedClient), json=body)


def _bind_certificate(
    client_id: str, certificate_pem: str | None, sha256: str | None
) -> _Call[ClientInfo]:
    body = _query(certificate=certificate_pem, sha256=sha256)
    return _Call(
        "PUT", f"/v1/clients/{_segment(client_id)}/certificate", _reader(ClientInfo), json=body
    )


def _unbind_certificate(client_id: str) -> _Call[ClientInfo]:
    return _Call("DELETE", f"/v1/clients/{_segment(client_id)}/certificate", _reader(ClientInfo))


def _strict_parameters(client_id: str, strict: bool) -> _Call[ClientInfo]:
    path = f"/v1/clients/{_segment(client_id)}/strict-parameters"
    return _Call("PUT", path, _reader(ClientInfo), json={"strict": strict})


def _signature_policy(client_id: str, policy: str) -> _Call[ClientInfo]:
    path = f"/v1/clients/{_segment(client_id)}/signature-policy"
    return _Call("PUT", path, _reader(ClientInfo), json={"policy": policy})


def _disable_client(client_id: str) -> _Call[ClientInfo]:
    return _Call("POST", f"/v1/clients/{_segment(client_id)}/disable", _reader(ClientInfo))


def _rotate_client(client_id: str) -> _Call[IssuedClient]:
    return _Call("POST", f"/v1/clients/{_segment(client_id)}/rotate", _reader(IssuedClient))


def _audit(limit: int, actor: str | None) -> _Call[list[AuditEntry]]:
    params = _query(limit=limit, actor=actor)
    return _Call("GET", "/v1/audit", _reader(list[AuditEntry]), params=params)


# --- answers and failures ---------------------------------------------------------------------


def _answer(call: _Call[T], response: httpx.Response) -> T:
    if not response.is_success:
        raise error_from_response(response)
    return call.read(response)


def error_from_response(response: httpx.Response) -> AxisError:
    """The node's `{"error": {...}}` as an `AxisError`; `HTTP_<status>` for any other body."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        problems = error.get("problems")
        return AxisError(
            status,
            error["code"],
            str(error.get("message") or "The node refused the request."),
            [p for p in problems if isinstance(p, dict)] if isinstance(problems, list) else [],
        )
    text = " ".join(response.text.split())[:200]
    reason = response.reason_phrase or "error"
    said = f": {text}" if text else ""
    return AxisError(
        status,
        f"HTTP_{status}",
        f"{response.request.method} {response.request.url} answered {status} {reason} without "
        f"the node's JSON error (a proxy in between?){said}",
    )


def _unreachable(base_url: str, error: httpx.TransportError) -> AxisError:
    if isinstance(error, httpx.TimeoutException):
        return AxisError(
            None, "NODE_TIMEOUT",
            f"The node at {base_url} did not answer in time ({type(error).__name__}).",
        )  # fmt: skip
    if isinstance(error, httpx.UnsupportedProtocol):
        return AxisError(
            None, "NODE_URL_INVALID",
            f"{base_url} is not a URL this client can call (it needs http:// or https://).",
        )  # fmt: skip
    cause = str(error) or type(error).__name__
    return AxisError(
        None, "NODE_UNREACHABLE",
        f"Cannot reach the node at {base_url} ({cause}): is it running, and is the URL right?",
    )  # fmt: skip


def _headers(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", "User-Agent": USER_AGENT,
            "Accept": "application/json"}  # fmt: skip


# --- the clients ----------------------------------------------------------------------------


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
            base_url=self.base_url, headers=_headers(secret), timeout=timeout,
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

    async def _do(self, call: _Call[T]) -> T:
        try:
            response = await self._http.request(
                call.method, call.path, params=call.params, json=call.json,
                content=call.content, headers=call.headers,
            )  # fmt: skip
        except httpx.TransportError as error:
            raise _unreachable(self.base_url, error) from error
        return _answer(call, response)

    # documents (role agency; tracking also clerk and operator)

    async def send(self, packet: bytes) -> SendResult:
        """Submit a signed edXML packet (its bytes exactly as signed); per recipient, whether
        it was routed, redirected (and to whom) or rejected. Sending the same packet again
        answers the first answer with `duplicate=True`."""
        return await self._do(_send(packet))

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
        return await self._do(_inbox(kind, since, limit, code, pending))

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
        return await self._do(_fetch(message_id))

    async def ack(self, message_id: str, answer: AckAnswer, detail: str | None = None) -> AckResult:
        """Acknowledge a packet: `processing`, then `done` or `fail` (final; a different final
        answer afterwards raises `INBOX_ACK_CONFLICT`)."""
        return await self._do(_ack(message_id, answer, detail))

    async def sent(
        self, since: datetime | None = None, limit: int = 100, code: str | None = None
    ) -> list[SentMessage]:
        """What the client's codes sent (at or after `since`), newest first."""
        return await self._do(_sent(since, limit, code))

    async def tracking(self, key: str) -> list[TrackingReport]:
        """Per recipient, where a message stands and its timeline; `key` is a message id or a
        DocumentId (every message with it)."""
        return await self._do(_tracking(key))

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
        return await self._do(_registry_units(q, parent, status, level, at, offset, limit))

    async def registry_unit(self, code: str, at: datetime | None = None) -> UnitDetail:
        """One unit at `at`, its history, and where a packet addressed to it goes."""
        return await self._do(_registry_unit(code, at))

    async def registry_changes(self, since: int = 0, limit: int = 100) -> list[RegistryVersion]:
        """The change sets applied after version `since`, oldest first."""
        return await self._do(_registry_changes(since, limit))

    async def submit_change_set(self, change_set: Mapping[str, Any] | bytes) -> AppliedChangeSet:
        """Apply a change set as the next registry version (registry authority); bytes are
        sent as they are (a change set file)."""
        return await self._do(_submit_change_set(change_set))

    async def registry_snapshot(self) -> bytes:
        """The signed registry snapshot (the authority's node only)."""
        return await self._do(_registry_snapshot())

    # operators

    async def dead_letters(
        self,
        recipient: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        replayed: bool = False,
        limit: int = 100,
    ) -> list[DeadLetter]:
        return await self._do(_dead_letters(recipient, since, until, replayed, limit))

    async def dead_letter(self, dead_letter_id: int) -> DeadLetter:
        """One dead letter with its delivery record."""
        return await self._do(_dead_letter(dead_letter_id))

    async def replay(
        self,
        ids: Sequence[int] | None = None,
        *,
        recipient: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ReplayedLetter]:
        """Send dead letters back to delivery: by id, or by recipient and/or time window."""
        return await self._do(_replay(ids, recipient, since, until))

    async def paused(self) -> list[PausedDestination]:
        return await self._do(_paused())

    async def pause(self, code: str, reason: str) -> DestinationChange:
        """Hold deliveries to `code` (they wait on the retry tiers without failing)."""
        return await self._do(_pause(code, reason))

    async def resume(self, code: str) -> DestinationChange:
        return await self._do(_resume(code))

    async def clients(self) -> list[ClientInfo]:
        return await self._do(_clients())

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
        call = _add_client(name, roles, codes, client_id, hmac, secret, allow_weak_secret)
        return await self._do(call)

    async def disable_client(self, client_id: str) -> ClientInfo:
        return await self._do(_disable_client(client_id))

    async def bind_certificate(
        self, client_id: str, *, certificate_pem: str | None = None, sha256: str | None = None
    ) -> ClientInfo:
        """Refuse the client's requests unless they come over TLS with this certificate (give
        the PEM or its SHA-256 fingerprint)."""
        return await self._do(_bind_certificate(client_id, certificate_pem, sha256))

    async def unbind_certificate(self, client_id: str) -> ClientInfo:
        return await self._do(_unbind_certificate(client_id))

    async def set_strict_parameters(self, client_id: str, strict: bool) -> ClientInfo:
        """Whether the SDK operations refuse the client's signed parameters they do not use."""
        return await self._do(_strict_parameters(client_id, strict))

    async def set_signature_policy(self, client_id: str, policy: str) -> ClientInfo:
        """`require`, `node-signs` or `accept-authenticated`: what the client's packets must
        carry as a signature."""
        return await self._do(_signature_policy(client_id, policy))

    async def rotate_client(self, client_id: str) -> IssuedClient:
        """A new secret; the old one stops working at once."""
        return await self._do(_rotate_client(client_id))

    async def audit(self, limit: int = 100, actor: str | None = None) -> list[AuditEntry]:
        """The audit log, newest first."""
        return await self._do(_audit(limit, actor))


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
            base_url=self.base_url, headers=_headers(secret), timeout=timeout,
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

    def _do(self, call: _Call[T]) -> T:
        try:
            response = self._http.request(
                call.method, call.path, params=call.params, json=call.json,
                content=call.content, headers=call.headers,
            )  # fmt: skip
        except httpx.TransportError as error:
            raise _unreachable(self.base_url, error) from error
        return _answer(call, response)

    def send(self, packet: bytes) -> SendResult:
        return self._do(_send(packet))

    def inbox(
        self,
        kind: Kind | None = None,
        since: int = 0,
        limit: int = 100,
        code: str | None = None,
        pending: bool = False,
    ) -> InboxPage:
        return self._do(_inbox(kind, since, limit, code, pending))

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
        return self._do(_fetch(message_id))

    def ack(self, message_id: str, answer: AckAnswer, detail: str | None = None) -> AckResult:
        return self._do(_ack(message_id, answer, detail))

    def sent(
        self, since: datetime | None = None, limit: int = 100, code: str | None = None
    ) -> list[SentMessage]:
        return self._do(_sent(since, limit, code))

    def tracking(self, key: str) -> list[TrackingReport]:
        return self._do(_tracking(key))

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
        return self._do(_registry_units(q, parent, status, level, at, offset, limit))

    def registry_unit(self, code: str, at: datetime | None = None) -> UnitDetail:
        return self._do(_registry_unit(code, at))

    def registry_changes(self, since: int = 0, limit: int = 100) -> list[RegistryVersion]:
        return self._do(_registry_changes(since, limit))

    def submit_change_set(self, change_set: Mapping[str, Any] | bytes) -> AppliedChangeSet:
        return self._do(_submit_change_set(change_set))

    def registry_snapshot(self) -> bytes:
        return self._do(_registry_snapshot())

    def dead_letters(
        self,
        recipient: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        replayed: bool = False,
        limit: int = 100,
    ) -> list[DeadLetter]:
        return self._do(_dead_letters(recipient, since, until, replayed, limit))

    def dead_letter(self, dead_letter_id: int) -> DeadLetter:
        return self._do(_dead_letter(dead_letter_id))

    def replay(
        self,
        ids: Sequence[int] | None = None,
        *,
        recipient: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ReplayedLetter]:
        return self._do(_replay(ids, recipient, since, until))

    def paused(self) -> list[PausedDestination]:
        return self._do(_paused())

    def pause(self, code: str, reason: str) -> DestinationChange:
        return self._do(_pause(code, reason))

    def resume(self, code: str) -> DestinationChange:
        return self._do(_resume(code))

    def clients(self) -> list[ClientInfo]:
        return self._do(_clients())

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
        return self._do(_add_client(name, roles, codes, client_id, hmac, secret, allow_weak_secret))

    def disable_client(self, client_id: str) -> ClientInfo:
        return self._do(_disable_client(client_id))

    def bind_certificate(
        self, client_id: str, *, certificate_pem: str | None = None, sha256: str | None = None
    ) -> ClientInfo:
        return self._do(_bind_certificate(client_id, certificate_pem, sha256))

    def unbind_certificate(self, client_id: str) -> ClientInfo:
        return self._do(_unbind_certificate(client_id))

    def set_strict_parameters(self, client_id: str, strict: bool) -> ClientInfo:
        return self._do(_strict_parameters(client_id, strict))

    def set_signature_policy(self, client_id: str, policy: str) -> ClientInfo:
        return self._do(_signature_policy(client_id, policy))

    def rotate_client(self, client_id: str) -> IssuedClient:
        return self._do(_rotate_client(client_id))

    def audit(self, limit: int = 100, actor: str | None = None) -> list[AuditEntry]:
        return self._do(_audit(limit, actor))
