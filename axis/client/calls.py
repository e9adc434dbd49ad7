"""Each route of the node's `/v1` API described once, for both clients: `Call` (method, path,
query, body, and how to read the successful answer), one function per route that makes it
(`send`, `inbox`, ... `audit`), `read_answer`, which reads an answer or raises the node's
refusal, and `request_headers`, what every request carries. The clients only differ in how they
perform a `Call`, so they cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from axis.client.errors import AxisError, error_from_response
from axis.client.models import (
    AckAnswer,
    AckResult,
    AppliedChangeSet,
    AuditEntry,
    ClientInfo,
    DeadLetter,
    DestinationChange,
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

DEFAULT_TIMEOUT = 30.0
USER_AGENT = "axis-client/0.1.0"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
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


# --- one function per route -----------------------------------------------------------------


def send(packet: bytes) -> Call[SendResult]:
    return Call("POST", "/v1/packets", _reader(SendResult), content=packet,
                headers={"Content-Type": "application/xml"})  # fmt: skip


def inbox(
    kind: Kind | None, since: int, limit: int, code: str | None, pending: bool
) -> Call[InboxPage]:
    params = _query(kind=kind, since=since, limit=limit, code=code, pending=pending or None)
    return Call("GET", "/v1/inbox", _reader(InboxPage), params=params)


def fetch(message_id: str) -> Call[bytes]:
    return Call("GET", f"/v1/packets/{_segment(message_id)}", _body)


def ack(message_id: str, answer: AckAnswer, detail: str | None) -> Call[AckResult]:
    body = {"ack": answer, **({"detail": detail} if detail is not None else {})}
    return Call("POST", f"/v1/inbox/{_segment(message_id)}/ack", _reader(AckResult), json=body)


def sent(since: datetime | None, limit: int, code: str | None) -> Call[list[SentMessage]]:
    params = _query(since=since, limit=limit, code=code)
    return Call("GET", "/v1/sent", _reader(list[SentMessage]), params=params)


def tracking(key: str) -> Call[list[TrackingReport]]:
    return Call("GET", f"/v1/tracking/{_segment(key)}", _reader(list[TrackingReport]))


def registry_units(
    q: str | None,
    parent: str | None,
    status: Literal["active", "closed"] | None,
    level: int | None,
    at: datetime | None,
    offset: int,
    limit: int,
) -> Call[UnitPage]:
    params = _query(q=q, parent=parent, status=status, level=level, at=at, offset=offset,
                    limit=limit)  # fmt: skip
    return Call("GET", "/v1/registry/units", _reader(UnitPage), params=params)


def registry_unit(code: str, at: datetime | None) -> Call[UnitDetail]:
    path = f"/v1/registry/units/{_segment(code)}"
    return Call("GET", path, _reader(UnitDetail), params=_query(at=at))


def registry_changes(since: int, limit: int) -> Call[list[RegistryVersion]]:
    params = _query(since=since, limit=limit)
    return Call("GET", "/v1/registry/changes", _reader(list[RegistryVersion]), params=params)


def submit_change_set(change_set: Mapping[str, Any] | bytes) -> Call[AppliedChangeSet]:
    path = "/v1/registry/changesets"
    read = _reader(AppliedChangeSet)
    if isinstance(change_set, bytes):
        headers = {"Content-Type": "application/json"}
        return Call("POST", path, read, content=change_set, headers=headers)
    return Call("POST", path, read, json=dict(change_set))


def registry_snapshot() -> Call[bytes]:
    return Call("GET", "/v1/registry/snapshot", _body)


def dead_letters(
    recipient: str | None,
    since: datetime | None,
    until: datetime | None,
    replayed: bool,
    limit: int,
) -> Call[list[DeadLetter]]:
    params = _query(recipient=recipient, since=since, until=until, replayed=replayed or None,
                    limit=limit)  # fmt: skip
    return Call("GET", "/v1/dead-letters", _reader(list[DeadLetter]), params=params)


def dead_letter(dead_letter_id: int) -> Call[DeadLetter]:
    return Call("GET", f"/v1/dead-letters/{int(dead_letter_id)}", _reader(DeadLetter))


def replay(
    ids: Sequence[int] | None,
    recipient: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Call[list[ReplayedLetter]]:
    body = _query(ids=list(ids) if ids else None, recipient=recipient, since=since, until=until)
    return Call("POST", "/v1/dead-letters/replay", _reader(list[ReplayedLetter]), json=body)


def paused() -> Call[list[PausedDestination]]:
    return Call("GET", "/v1/destinations/paused", _reader(list[PausedDestination]))


def pause(code: str, reason: str) -> Call[DestinationChange]:
    path = f"/v1/destinations/{_segment(code)}/pause"
    return Call("POST", path, _reader(DestinationChange), json={"reason": reason})


def resume(code: str) -> Call[DestinationChange]:
    return Call("POST", f"/v1/destinations/{_segment(code)}/resume", _reader(DestinationChange))


def clients() -> Call[list[ClientInfo]]:
    return Call("GET", "/v1/clients", _reader(list[ClientInfo]))


def add_client(
    name: str,
    roles: Sequence[str],
    codes: Sequence[str],
    client_id: str | None,
    hmac: bool,
    secret: str | None,
    allow_weak_secret: bool,
) -> Call[IssuedClient]:
    body = _query(
        client_id=client_id, name=name, codes=list(codes), roles=list(roles), hmac=hmac,
        secret=secret, allow_weak_secret=allow_weak_secret or None,
    )  # fmt: skip
    return Call("POST", "/v1/clients", _reader(IssuedClient), json=body)


def bind_certificate(
    client_id: str, certificate_pem: str | None, sha256: str | None
) -> Call[ClientInfo]:
    body = _query(certificate=certificate_pem, sha256=sha256)
    return Call(
        "PUT", f"/v1/clients/{_segment(client_id)}/certificate", _reader(ClientInfo), json=body
    )


def unbind_certificate(client_id: str) -> Call[ClientInfo]:
    return Call("DELETE", f"/v1/clients/{_segment(client_id)}/certificate", _reader(ClientInfo))


def strict_parameters(client_id: str, strict: bool) -> Call[ClientInfo]:
    path = f"/v1/clients/{_segment(client_id)}/strict-parameters"
    return Call("PUT", path, _reader(ClientInfo), json={"strict": strict})


def rebind_client(client_id: str, old: str, new: str) -> Call[ClientInfo]:
    path = f"/v1/clients/{_segment(client_id)}/rebind"
    return Call("POST", path, _reader(ClientInfo), json={"from": old, "to": new})


def signature_policy(client_id: str, policy: str) -> Call[ClientInfo]:
    path = f"/v1/clients/{_segment(client_id)}/signature-policy"
    return Call("PUT", path, _reader(ClientInfo), json={"policy": policy})


def disable_client(client_id: str) -> Call[ClientInfo]:
    return Call("POST", f"/v1/clients/{_segment(client_id)}/disable", _reader(ClientInfo))


def rotate_client(client_id: str) -> Call[IssuedClient]:
    return Call("POST", f"/v1/clients/{_segment(client_id)}/rotate", _reader(IssuedClient))


def audit(limit: int, actor: str | None) -> Call[list[AuditEntry]]:
    params = _query(limit=limit, actor=actor)
    return Call("GET", "/v1/audit", _reader(list[AuditEntry]), params=params)


# --- answers and headers ---------------------------------------------------------------------


def read_answer(call: Call[T], response: httpx.Response) -> T:
    """The call's answer read, or the node's refusal raised as an `AxisError`."""
    if not response.is_success:
        raise error_from_response(response)
    return call.read(response)


def request_headers(secret: str) -> dict[str, str]:
    """What every request of a client carries."""
    return {"Authorization": f"Bearer {secret}", "User-Agent": USER_AGENT,
            "Accept": "application/json"}  # fmt: skip
