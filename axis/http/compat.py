"""The national SDK's 13 operations (SDKVXP 2.0.1), served from the node's own services.

Existing document management systems talk to the national axis through the vendor's Java SDK;
these routes let them talk to this node unchanged, by pointing the SDK's `endpoint` at
`http://host:port<compat_prefix>`. Nothing here has logic of its own: sending is the submission
service, the inbox is the mailbox (`routing.mailbox`), sent items are tracking, the agency lists
are the registry, exactly as behind `/v1` (`axis.http.dms`). What this module adds is the SDK's
dialect:

- every parameter arrives in signed `XroadVnpt-*` headers (`axis.xroad_signature`): the caller is
  the HMAC client named by `XroadVnpt-systemid` (`ClientStore.hmac_secret`), and parameters are
  read only from the signed JSON, names matched case-insensitively; a request must sign the
  Content-Type of the operation it is sent to, and a client with strict parameters only the
  parameters that operation takes (`axis.xroad_operations`, which says why no more is possible);
- failed authentications are counted against the address and the claimed `systemid`
  (`axis.http.throttle`); past the limit the operations answer FAIL `429` `AUTH_THROTTLED`
  (with `Retry-After`) without checking the HMAC; a client bound to a TLS client certificate
  is refused unless the connection presented it;
- every reply is HTTP 200 with ASCII-only JSON carrying `status`, `ErrorCode` and `ErrorDesc`
  (the SDK ignores the HTTP status, decodes `sendEdoc` replies as US-ASCII, and returns an
  all-null result when one of those fields is missing); `downloadEdoc` answers the raw packet,
  or an empty body on any error (the SDK saves whatever body it gets as the document);
- `ErrorCode` is `"0"` on success, otherwise an HTTP-like number: 400 bad request, 401
  authentication failed, 403 forbidden, 404 not found, 409 conflict, 413 too large, 429 too
  many failed authentications, 500 internal, 503 the database is away
  (`DATABASE_UNAVAILABLE`, with `Retry-After`). `ErrorDesc` starts with the node's machine code
  (`SUBMIT_SENDER_NOT_ALLOWED: ...`), except for authentication failures, which read
  `authentication failed: ...`;
- document ids are the node's message ids (UUIDs: the SDK puts them into local file names);
- times are `yyyy-MM-dd HH:mm:ss` in Vietnam's time (UTC+7).

`sendEdoc` routes by the packet's own To (documents) or ResponseFor (statuses) elements, which
its sender signed. The SDK's `to` header is optional (the vendor's sample omits it); when it is
given, every code it names must be among those the packet carries, otherwise the request is
refused rather than silently routed elsewhere than the caller said.

One SDK service object keeps every parameter it was ever given, so requests carry leftovers of
earlier calls. Operations read only what they need, and the optional parameters a leftover could
fake are handled: `level` narrows getAgenciesListQD20 only (where the vendor's sample passes it);
a `docId` of getSentEdocList that names one of the caller's received documents (left there by
getEdoc or updateStatus) does not narrow the list; a parameter signed under two spellings with
different values (`docid`, then `docId`) is refused as ambiguous. A `to` left over from an
earlier sendEdoc cannot be told from a current one; the refusal says so.

The registry is maintained by the Government Office through change sets, so `registerAgency`
and `deleteAgency` are open only to clients with the `registry-authority` role: they become a
change set creating or closing the unit, applied and published like `POST /v1/registry/changesets`.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException

from axis.clients import Client, Principal, Role
from axis.db import database_unavailable
from axis.http import directory, throttle, unavailable
from axis.http.auth import remote_address
from axis.http.bodies import MAX_PACKET_BYTES, bounded_body
from axis.http.context import AppContext, app_context
from axis.http.dms import KIND_NAMES, KINDS
from axis.http.errors import ApiError
from axis.http.tls import peer_certificate
from axis.logs import new_error_id
from axis.registry_authority import after_change
from axis.xroad_operations import OCTETS, BindingError, Signs
from axis.xroad_signature import (
    AmbiguousParameter,
    SignatureError,
    SignedHeaders,
    codes_in_to,
    file_matching,
    hash_matches,
    lenient_object,
    read_signed_headers,
)
from envelopes.model import DocumentPacket
from envelopes.parsing import parse_packet
from envelopes.records import RecordKind, TrackingEventType
from orgcodes.changes import parse_change_set
from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.model import UnitState, local_time
from orgcodes.registry import Registry
from routing.inbox import Ack, Inbox, InboxAckConflict, InboxItem, InboxItemNotFound
from routing.lifecycle import Phase
from routing.outcomes import (
    BUSY_RETRY_SECONDS,
    RouteOutcome,
    SubmissionRefused,
    SubmissionResult,
)
from routing.signature_policy import Signature
from routing.tracking import DeliveryView, MessageInfo, TrackingStore

log = structlog.get_logger(__name__)

SERVICE_TYPE = "eDoc"
SDK_VERSION = "SDKVXP 2.0.1"
"""The national SDK release this compatibility layer speaks."""
SMALL_BODY = 64 * 1024
"""The most any operation but `sendEdoc` reads (their bodies are `{}` or one agency's JSON)."""
MAX_RECEIVED = 1000
"""Inbox items one `getReceivedEdocList` lists (the SDK has no paging; acknowledged items leave
the list, so a client working through its inbox sees the rest on its next call)."""
MAX_SENT = 100
"""Sent messages one `getSentEdocList` without `docId` covers, newest first."""
RETRY_AFTER = {"Retry-After": str(unavailable.RETRY_AFTER_SECONDS)}
SLASHES = "vxp_slashes"
"""The path convertor of repeated slashes (registered with Starlette by name)."""

Fields = dict[str, object]


class Failure(Exception):
    """An operation's refusal: `ErrorCode` and `ErrorDesc` of the FAIL reply (and HTTP headers
    it carries, such as `Retry-After`)."""

    def __init__(
        self, code: str, description: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.headers = dict(headers or {})


def refused(code: str, machine_code: str, sentence: str) -> Failure:
    return Failure(code, f"{machine_code}: {sentence}")


def throttled(wait: int) -> Failure:
    return Failure(
        "429",
        f"AUTH_THROTTLED: Too many failed authentications from this address or for this "
        f"systemid: try again in {wait} s.",
        {"Retry-After": str(wait)},
    )


def authentication_failed(reason: str) -> Failure:
    return Failure("401", f"authentication failed: {reason}")


# --- replies -------------------------------------------------------------------------------


def reply(fields: Mapping[str, object]) -> Response:
    """HTTP 200 with ASCII-only JSON (non-ASCII as \\uXXXX escapes), whatever the outcome."""
    return Response(directory.sdk_json(fields), media_type="application/json")


def success(extra: Mapping[str, object]) -> Response:
    return reply({**directory.SUCCESS, **extra})


def failure_reply(
    failure: Failure, extra: Mapping[str, object], *, retry_after: bool = False
) -> Response:
    response = reply(
        {"status": "FAIL", "ErrorCode": failure.code, "ErrorDesc": failure.description, **extra}
    )
    response.headers.update(failure.headers)
    if retry_after:
        response.headers.update(RETRY_AFTER)
    return response


def database_failure() -> Failure:
    """The FAIL reply of an operation that needed the database while it was away."""
    return refused("503", unavailable.DATABASE_UNAVAILABLE, unavailable.MESSAGE)


# --- the caller ----------------------------------------------------------------------------


@dataclass(slots=True)
class Call:
    """One authenticated SDK request: who sent it, what it signed, and its body."""

    request: Request
    context: AppContext
    principal: Principal
    signed: SignedHeaders
    body: bytes = b""

    @property
    def codes(self) -> list[str]:
        return sorted(self.principal.codes)

    def param(self, name: str) -> str | None:
        """A signed parameter (case-insensitive name), None when absent or blank."""
        try:
            value = self.signed.param(name)
        except AmbiguousParameter as error:
            text = str(error)
            raise refused("400", "PARAM_AMBIGUOUS", f"{text[:1].upper()}{text[1:]}.") from None
        return value if value is not None and value.strip() else None

    def required(self, name: str) -> str:
        value = self.param(name)
        if value is None:
            raise refused(
                "400", "PARAM_MISSING", f"This operation needs the signed parameter {name!r}."
            )
        return value.strip()


async def authenticate(request: Request, context: AppContext) -> tuple[Client, SignedHeaders]:
    """The HMAC client that signed `request`, read from the headers as received; failures are
    counted against the address and the claimed systemid, and refused unchecked past the
    limit (`axis.http.throttle`)."""
    keys = [throttle.address(remote_address(request))]
    try:
        signed = read_signed_headers(request.scope["headers"])
    except SignatureError as error:
        refuse_if_throttled(context, keys)
        context.throttle.failed(keys)
        raise authentication_failed(str(error)) from None
    keys.append(throttle.client(signed.system_id))
    refuse_if_throttled(context, keys)
    async with context.node.sessions() as session:
        found = await context.clients.hmac_secret(session, signed.system_id)
    if found is None or not hash_matches(signed, found[1]):
        context.throttle.failed(keys)
        log.info("SDK signature refused", system_id=signed.system_id, known=found is not None)
        raise authentication_failed(
            "bad HMAC (the systemid is unknown, disabled or not enabled for HMAC, or the "
            "hash-header was not made with its secret)"
        )
    client = found[0]
    if not client.accepts(peer_certificate(request.scope)):
        context.throttle.failed(keys)
        raise authentication_failed(
            f"AUTH_CERTIFICATE_MISMATCH: client {client.client_id!r} is bound to a TLS client "
            "certificate; connect over HTTPS presenting it (the JVM's javax.net.ssl.keyStore)"
        )
    request.state.principal = client.principal
    structlog.contextvars.bind_contextvars(client=client.client_id)
    return client, signed


def refuse_if_throttled(context: AppContext, keys: list[throttle.Key]) -> None:
    wait = context.throttle.retry_after(keys)
    if wait is not None:
        raise throttled(wait)


def check_signed(operation: str, signs: Signs, client: Client, signed: SignedHeaders) -> None:
    """The request signed what `operation` takes (`axis.xroad_operations`)."""
    try:
        signs.check(operation, signed.params, strict=client.strict_parameters)
    except BindingError as error:
        raise refused(
            "400", error.code, f"{error.message[:1].upper()}{error.message[1:]}."
        ) from None


def require_role(principal: Principal, role: Role | None, operation: str) -> None:
    if role is None or principal.has(role):
        return
    if role is Role.REGISTRY_AUTHORITY:
        raise refused(
            "403",
            "ROLE_REQUIRED",
            f"The registry of agencies is maintained by the Government Office through change "
            f"sets; client {principal.client_id!r} lacks the role 'registry-authority' that "
            f"{operation} needs.",
        )
    raise refused(
        "403",
        "ROLE_REQUIRED",
        f"Client {principal.client_id!r} lacks the role {role.value!r} that {operation} needs.",
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The body within `limit` (reading it is also what answers `Expect: 100-continue`)."""
    try:
        return await bounded_body(request, limit)
    except ApiError as error:
        raise refused(str(error.status), error.code, error.message) from None


# --- sendEdoc ------------------------------------------------------------------------------


async def send_edoc(call: Call) -> Fields:
    """The file in the body, checked against the signed `hash-file`, submitted as the client."""
    declared = call.required("hash-file")
    file = file_matching(call.body, declared)
    if file is None:
        raise authentication_failed(
            "the body does not match the signed hash-file (the SHA-256 of the file, which the "
            "SDK sends followed by CRLF)"
        )
    if not file.strip():
        raise refused("400", "PACKET_EMPTY", "The body is empty: send the signed edXML packet.")
    to = call.param("to")
    if to is not None:
        await check_to(to, file)
    try:
        result = await call.context.node.submission.submit(
            file, caller_codes=call.principal.codes, caller=call.principal.client_id,
            policy=call.principal.signature_policy,
        )  # fmt: skip
    except SubmissionRefused as error:
        if error.busy:
            retry = {"Retry-After": str(BUSY_RETRY_SECONDS)}
            raise Failure("503", f"{error.code}: {error.message}", retry) from None
        status = "403" if error.forbidden else "400"
        raise refused(status, error.code, error.message) from None
    answer: Fields = {"ErrorDesc": submitted(result), "DocId": str(result.message_id)}
    if all(r.outcome is RouteOutcome.REJECTED for r in result.recipients):
        # Nothing went anywhere (the sender still gets a 02 per recipient): the SDK's caller
        # decides on ErrorCode, so this must not read as a success. DocId names the message,
        # which the 02 notices answer.
        answer.update(status="FAIL", ErrorCode="404")
    return answer


async def check_to(value: str, file: bytes) -> None:
    """Refuse a `to` header that names codes the packet does not carry: the node routes by the
    packet's signed To/ResponseFor, and must not let the caller believe it routed elsewhere."""
    try:
        named = codes_in_to(value)
    except ValueError as error:
        raise refused("400", "SEND_TO_INVALID", f"{error}.") from None
    if not named:
        return
    try:
        packet = await asyncio.to_thread(parse_packet, file)
    except Exception:  # not a packet: the submission refuses it below with its own code
        return
    if isinstance(packet, DocumentPacket):
        carried, where = set(packet.recipient_codes), "To"
    else:
        carried, where = {packet.response_for.organ_id}, "ResponseFor"
    missing = [code for code in named if code not in carried]
    if missing:
        raise refused(
            "400",
            "SEND_TO_MISMATCH",
            f"'to' names {', '.join(missing)}, which the packet's {where} does not carry; this "
            f"node routes by the packet's own {where}, so put every recipient there, or leave "
            "'to' out (the SDK keeps 'to' from an earlier sendEdoc on the same service object: "
            "set it on every call or on none).",
        )


def submitted(result: SubmissionResult) -> str:
    """`ErrorDesc` of an accepted packet, what a DMS can only learn here: `Success`, whether it
    repeats an earlier submission, how its origin is vouched for when not by its own
    signature, the findings of the acceptance policy, and every recipient the axis refused (the
    sender also receives a 02 status packet for each). When no recipient could receive it, the
    description starts with `RECIPIENTS_REJECTED:` and the reply is a FAIL."""
    rejected = [r for r in result.recipients if r.outcome is RouteOutcome.REJECTED]
    parts = []
    if result.duplicate:
        parts.append("duplicate of an earlier submission (the same DocId)")
    if result.signature is not Signature.VERIFIED:
        parts.append(
            "signed by the node for its From code"
            if result.signature is Signature.NODE_SIGNED
            else "unsigned, client-authenticated"
        )
    if result.findings:
        codes = ", ".join(dict.fromkeys(str(f.code) for f in result.findings))
        parts.append(f"findings: {codes}")
    if rejected:
        named = "; ".join(f"{r.addressed} ({r.reason_code}: {r.reason})" for r in rejected)
        parts.append(f"not delivered to {named}")
    head = (
        "RECIPIENTS_REJECTED: no recipient can receive this document"
        if rejected and len(rejected) == len(result.recipients)
        else "Success"
    )
    return "; ".join([head, *parts])


# --- the inbox -----------------------------------------------------------------------------


def message_kind(call: Call) -> RecordKind | None:
    """The kind asked by `messagetype` (`edoc` or `status`); None lists both."""
    service = call.param("servicetype")
    if service is not None and service.strip().lower() != SERVICE_TYPE.lower():
        raise refused(
            "400",
            "SERVICE_TYPE_UNKNOWN",
            f"servicetype {service!r} is not served here; this node serves {SERVICE_TYPE!r}.",
        )
    kind = call.param("messagetype")
    if kind is None:
        return None
    found = KINDS.get(kind.strip().lower())
    if found is None:
        raise refused(
            "400", "MESSAGE_TYPE_UNKNOWN", f"messagetype {kind!r} is neither 'edoc' nor 'status'."
        )
    return found


def inbox_status(item: InboxItem) -> tuple[str, str]:
    """The item's status and its description, in the SDK's words."""
    if item.ack is Ack.DONE:
        return "done", "receiver reported done"
    if item.ack is Ack.FAIL:
        return "fail", "receiver reported fail"
    if item.ack is Ack.PROCESSING:
        return "processing", "receiver reported processing"
    if item.fetched_at is not None:
        return "processing", "fetched by receiver, not yet answered"
    return "pending", "waiting for receiver"


def received_item(item: InboxItem) -> Fields:
    """One item of getReceivedEdocList. SDKVXP 2.0.1 reads the fields named in national-api
    4.2 only; `contentSha256` and `contentLength` (the packet's, as getEdoc returns it) and
    `versionSdk` are sent for clients that read them (the 2.0.1 SDK leaves its own empty)."""
    status, description = inbox_status(item)
    moments = [m for m in (item.received_at, item.fetched_at, item.ack_at) if m is not None]
    return {
        "contentSha256": item.packet_sha256,
        "contentLength": item.packet_size,
        "versionSdk": SDK_VERSION,
        "docId": str(item.message_id),
        "serviceType": SERVICE_TYPE,
        "messageType": KIND_NAMES[item.kind],
        "created_time": local_time(item.received_at),
        "updated_time": local_time(max(moments)),
        "from": item.sender_code,
        "to": item.recipient_code,
        "status": status,
        "status_desc": description,
    }


async def get_received_edoc_list(call: Call) -> Fields:
    """Inbox items not yet answered done/fail, oldest first."""
    items = await call.context.node.mailbox.list(
        call.codes, kind=message_kind(call), limit=MAX_RECEIVED, unacknowledged_only=True
    )
    return {"data": [received_item(item) for item in items]}


def document_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise refused(
            "404",
            InboxItemNotFound.code,
            f"{value!r} is not a document id this node issued (they are UUIDs).",
        ) from None


async def get_edoc(call: Call) -> Fields:
    """The packet, base64; `filePath` is the client's own directory and is not used here."""
    data = await fetch(call)
    return {"data": base64.b64encode(data).decode("ascii")}


async def fetch(call: Call) -> bytes:
    try:
        fetched = await call.context.node.mailbox.fetch(
            call.codes, document_uuid(call.required("docId"))
        )
    except InboxItemNotFound as error:
        raise refused("404", error.code, str(error)) from None
    return fetched.data


async def update_status(call: Call) -> Fields:
    """`done`, `fail` or `processing` for a fetched packet: the inbox acknowledgement (the same
    answer twice is accepted; a different final answer is refused with 409)."""
    doc_id = document_uuid(call.required("docId"))
    answer = call.required("status").lower()
    try:
        ack = Ack(answer)
    except ValueError:
        raise refused(
            "400", "STATUS_INVALID", f"status {answer!r} is not one of done, fail, processing."
        ) from None
    try:
        await call.context.node.mailbox.acknowledge(call.codes, doc_id, ack)
    except InboxItemNotFound as error:
        raise refused("404", error.code, str(error)) from None
    except InboxAckConflict as error:
        raise refused("409", error.code, str(error)) from None
    return {}


def counting(kind: RecordKind) -> Callable[[Call], Awaitable[Fields]]:
    async def count(call: Call) -> Fields:
        """Items of `kind` not yet answered done/fail."""
        return {"count": await call.context.node.mailbox.count(call.codes, kind=kind)}

    return count


# --- sent items ----------------------------------------------------------------------------


async def get_sent_edoc_list(call: Call) -> Fields:
    """One item per (sent message, recipient), with the delivery's state."""
    kind = message_kind(call)
    store = TrackingStore()
    items: list[Fields] = []
    async with call.context.node.sessions() as session:
        for message in await sent_messages(session, store, call):
            if kind is not None and message.kind is not kind:
                continue
            fetched = await first_fetches(session, store, message.message_id)
            for delivery in await store.deliveries_of(session, message.message_id):
                items.append(sent_item(message, delivery, fetched.get(delivery.recipient_code)))
    return {"data": items}


async def sent_messages(
    session: AsyncSession, store: TrackingStore, call: Call
) -> list[MessageInfo]:
    """The newest messages the caller's codes sent, or the one document `docId` names (a
    document id this node issued, or an edXML DocumentId).

    A `docId` naming one of the caller's *received* documents is left over from an earlier
    getEdoc, updateStatus or downloadEdoc on the same SDK service object (which keeps every
    parameter it was ever given), so it does not narrow the list."""
    doc_id = call.param("docId")
    if doc_id is None:
        return await store.sent(session, call.codes, limit=MAX_SENT)
    doc_id = doc_id.strip()
    try:
        found = await store.message(session, uuid.UUID(doc_id))
        messages = [found] if found is not None else []
    except ValueError:
        messages = await store.messages_by_document(session, doc_id)
    own = [m for m in messages if call.principal.acts_for(m.sender_code)]
    if own:
        return own
    if await in_inbox(session, call.codes, doc_id):
        return await store.sent(session, call.codes, limit=MAX_SENT)
    raise refused("404", "SENT_NOT_FOUND", f"No document {doc_id!r} sent by this client's codes.")


async def in_inbox(session: AsyncSession, codes: list[str], doc_id: str) -> bool:
    try:
        await Inbox().get(session, codes, uuid.UUID(doc_id))
    except (ValueError, InboxItemNotFound):
        return False
    return True


async def first_fetches(
    session: AsyncSession, store: TrackingStore, message_id: uuid.UUID
) -> dict[str, datetime]:
    """When each recipient first fetched the message (its `receivedTime`)."""
    found: dict[str, datetime] = {}
    for entry in await store.timeline(session, message_id):
        if entry.event is TrackingEventType.FETCHED:
            found.setdefault(entry.recipient_code, entry.at)
    return found


_SEND_STATUS: dict[Phase, tuple[str, str]] = {
    Phase.QUEUED: ("sending", "accepted by axis, queued for the recipient"),
    Phase.RETRYING: ("sending", "accepted by axis, delivery being retried"),
    Phase.DELIVERED: ("sent", "delivered to the recipient's inbox"),
    Phase.FETCHED: ("sent", "delivered and fetched by the recipient"),
    Phase.ACKNOWLEDGED: ("sent", "delivered and answered by the recipient"),
    Phase.FAILED: ("fail", "not delivered"),
    Phase.DEAD: ("fail", "not delivered: retries exhausted"),
}


def receive_status(delivery: DeliveryView) -> tuple[str, str]:
    phase = delivery.phase
    if phase is Phase.ACKNOWLEDGED:
        status, description = "done", "receiver reported done"
    elif phase is Phase.FAILED and delivery.last_error and "'fail'" in delivery.last_error:
        status, description = "fail", "receiver reported fail"
    elif phase in (Phase.FAILED, Phase.DEAD):
        status, description = "fail", "never reached the receiver"
    elif phase is Phase.FETCHED:
        status, description = "processing", "fetched by receiver"
    else:
        status, description = "pending", "waiting for receiver"
    if delivery.status.progress is not None:
        description += f"; last status packet {delivery.status.progress.value}"
    return status, description


def sent_item(message: MessageInfo, delivery: DeliveryView, fetched: datetime | None) -> Fields:
    send_status, send_description = _SEND_STATUS[delivery.phase]
    if delivery.last_error and delivery.phase in (Phase.FAILED, Phase.DEAD, Phase.RETRYING):
        send_description += f" ({delivery.last_error})"
    receive, receive_description = receive_status(delivery)
    return {
        "serviceType": SERVICE_TYPE,
        "messageType": KIND_NAMES[message.kind],
        "senderDocId": str(message.message_id),
        "receiverDocId": str(message.message_id),
        "fromCode": message.sender_code,
        "toCode": delivery.recipient_code,
        "title": message.subject or "",
        "notation": message.notation or "",
        "sentTime": local_time(message.submitted_at),
        "receivedTime": local_time(fetched) if fetched is not None else "",
        "sendStatus": send_status,
        "sendStatusDesc": send_description,
        "receiveStatus": receive,
        "receiveStatusDesc": receive_description,
    }


# --- the registry --------------------------------------------------------------------------


async def get_agencies_list(call: Call) -> Response:
    return await directory_reply(call, directory.Listing.AGENCIES)


async def get_agencies_list_qd20(call: Call) -> Response:
    """The active units, narrowed to one level by `level`. Only this operation reads `level`
    (the vendor's sample passes it here): a level left on the service object by this call must
    not narrow the other lists."""
    level_text = call.param("level")
    level: int | None = None
    if level_text is not None:
        if not level_text.strip().isdigit():
            raise refused("400", "LEVEL_INVALID", f"level {level_text!r} is not a whole number.")
        level = int(level_text)
    return await directory_reply(call, directory.Listing.AGENCIES_QD20, level)


async def get_synchronize_unit(call: Call) -> Response:
    """Every unit, closed ones included (`deleted`), for a client keeping its own copy."""
    return await directory_reply(call, directory.Listing.SYNCHRONIZE)


async def directory_reply(
    call: Call, listing: directory.Listing, level: int | None = None
) -> Response:
    """The answer built once for the registry version the node holds (`axis.http.directory`),
    gzipped when the client accepts it, 304 when `If-None-Match` names it."""
    registry = call.context.node.registry.registry
    answer = await call.context.directory.answer(registry, listing, level)
    return directory.respond(call.request, answer)


def registry_failure(error: RegistryError) -> Failure:
    if error.code is RegistryCode.UNKNOWN_UNIT:
        status = "404"
    elif error.code in (
        RegistryCode.CODE_REUSED,
        RegistryCode.UNIT_CLOSED,
        RegistryCode.EFFECTIVE_TOO_EARLY,
        RegistryCode.VERSION_GAP,
        RegistryCode.VERSION_OLD,
    ):
        status = "409"
    else:
        status = "400"
    return refused(status, error.code.value, error.message)


async def apply_change(call: Call, change: Mapping[str, Any], reason: str) -> str:
    """Apply one change as the next registry version, then snapshot and publish it; the
    `ErrorDesc` (warnings of an unpublished version are appended)."""
    settings = call.context.settings
    if settings.registry_mode == "follower":
        raise refused(
            "409",
            "REGISTRY_FOLLOWER",
            "This node follows the registry authority; change agencies on the authority's node.",
        )
    service = call.context.node.registry
    change_set = {"effective": datetime.now(UTC).isoformat(), "reason": reason, "changes": [change]}
    try:
        await service.apply(
            parse_change_set(change_set), actor=f"client:{call.principal.client_id}", source="api"
        )
    except RegistryError as error:
        raise registry_failure(error) from None
    warnings = await after_change(service, settings)
    return "; ".join(["Success", *warnings])


def agency_field(data: Mapping[str, str], *names: str) -> str | None:
    lowered = {key.lower(): value.strip() for key, value in data.items()}
    for name in names:
        if lowered.get(name.lower()):
            return lowered[name.lower()]
    return None


CONTACT_FIELDS = {
    "email": ("mail", "email"),
    "phone": ("mobile", "phone"),
    "fax": ("fax",),
    "address": ("address",),
}
"""The registry's contact fields, from the SDK's agency fields that carry them."""


async def register_agency(call: Call) -> Fields:
    """The body (`{"code", "name", "pcode", "mail", "mobile", "fax", ...}`, read leniently)
    becomes a `create`; registering the same unit again is accepted without a new version."""
    try:
        data = lenient_object(call.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise refused(
            "400", "AGENCY_MALFORMED", f"The agency data cannot be read: {error}."
        ) from None
    unit = agency_unit(data, call.context.node.registry.registry)
    if registered(call.context.node.registry.registry.get(unit["code"]), unit):
        return {"ErrorDesc": f"Success; {unit['code']} is registered already"}
    reason = f"registerAgency by client {call.principal.client_id}"
    return {"ErrorDesc": await apply_change(call, {"op": "create", "unit": unit}, reason)}


def registered(state: UnitState | None, unit: Mapping[str, Any]) -> bool:
    """Whether `unit` is already in the registry as asked (a repeated registerAgency)."""
    if state is None or not state.active:
        return False
    return (state.name, state.parent) == (unit["name"], unit["parent"])


def agency_unit(data: Mapping[str, str], registry: Registry) -> dict[str, Any]:
    """The change set's `unit` for the SDK's agency data: one level below its parent."""
    code = agency_field(data, "code")
    name = agency_field(data, "name")
    if code is None or name is None:
        raise refused("400", "AGENCY_MALFORMED", "The agency data needs a 'code' and a 'name'.")
    parent = agency_field(data, "pcode", "parentCode", "pid")
    parent_state = registry.get(parent) if parent is not None else None
    unit: dict[str, Any] = {
        "code": code,
        "name": name,
        "parent": parent,
        "level": parent_state.level + 1 if parent_state is not None else 1,
    }
    for target, sources in CONTACT_FIELDS.items():
        value = agency_field(data, *sources)
        if value is not None:
            unit[target] = value
    return unit


async def delete_agency(call: Call) -> Fields:
    """`AgencyCode` is closed (without successor); closing a closed unit is accepted."""
    code = call.required("AgencyCode")
    state = call.context.node.registry.registry.get(code)
    if state is None:
        raise refused("404", RegistryCode.UNKNOWN_UNIT.value, f"The registry has no unit {code}.")
    if not state.active:
        return {"ErrorDesc": f"Success; {code} is closed already"}
    reason = f"deleteAgency by client {call.principal.client_id}"
    return {"ErrorDesc": await apply_change(call, {"op": "close", "code": code}, reason)}


# --- the routes ----------------------------------------------------------------------------

Logic = Callable[[Call], Awaitable[Fields | Response]]
"""An operation: the fields of its OK reply, or a reply of its own (the directory answers)."""


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    logic: Logic
    role: Role | None = Role.AGENCY
    """The role the client needs (None: any HMAC client)."""
    signs: Signs = field(default_factory=Signs)
    """The signed Content-Type and the parameters the operation takes."""
    body_limit: int = SMALL_BODY
    on_failure: Mapping[str, object] = field(default_factory=dict)
    """Fields a FAIL reply carries besides the three (sendEdoc's `DocId`)."""


LISTING = Signs(uses=("servicetype", "messagetype"))
"""The SDK's sample passes these to the list and count operations."""
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "sendEdoc",
        send_edoc,
        signs=Signs(OCTETS, ("from", "to", "servicetype", "messagetype", "hash-file")),
        body_limit=MAX_PACKET_BYTES + 2,
        on_failure={"DocId": ""},
    ),
    Operation("getReceivedEdocList", get_received_edoc_list, signs=LISTING),
    Operation(
        "getSentEdocList",
        get_sent_edoc_list,
        signs=Signs(uses=("servicetype", "messagetype", "docId")),
    ),
    Operation("getEdoc", get_edoc, signs=Signs(uses=("docId", "filePath"))),
    Operation("updateStatus", update_status, signs=Signs(uses=("docId", "status"))),
    Operation("countReceiveEdoc", counting(RecordKind.DOCUMENT), signs=LISTING),
    Operation("countReceiveStatus", counting(RecordKind.STATUS), signs=LISTING),
    Operation("getAgenciesList", get_agencies_list, role=None),
    Operation(
        "getAgenciesListQD20", get_agencies_list_qd20, role=None, signs=Signs(uses=("level",))
    ),
    Operation("getSynchronizeUnit", get_synchronize_unit, role=None),
    Operation("registerAgency", register_agency, role=Role.REGISTRY_AUTHORITY),
    Operation(
        "deleteAgency",
        delete_agency,
        role=Role.REGISTRY_AUTHORITY,
        signs=Signs(uses=("AgencyCode",)),
    ),
)
"""Every POST operation; `downloadEdoc` (GET, raw bytes) has its own route."""
DOWNLOAD = Signs(uses=("docId", "filePath"))


async def perform(request: Request, operation: Operation) -> Response:
    """Authenticate, check the role, read the body, run the operation: always a JSON reply."""
    try:
        context = app_context(request)
        client, signed = await authenticate(request, context)
        require_role(client.principal, operation.role, operation.name)
        check_signed(operation.name, operation.signs, client, signed)
        body = await read_body(request, operation.body_limit)
        done = await operation.logic(Call(request, context, client.principal, signed, body))
    except Failure as failure:
        log.info("SDK request refused", operation=operation.name, error=failure.description)
        return failure_reply(failure, operation.on_failure)
    except Exception as error:
        if database_unavailable(error):  # ErrorCode 503, as /v1 answers (axis.http.unavailable)
            unavailable.logged(error, operation=operation.name)
            return failure_reply(database_failure(), operation.on_failure, retry_after=True)
        return failure_reply(internal_failure(operation.name), operation.on_failure)
    return done if isinstance(done, Response) else success(done)


async def download_edoc(request: Request) -> Response:
    """The packet's raw bytes, or an empty body on any error: the SDK saves whatever body it
    receives as the document, so an error must not look like one (`X-Axis-Error` says why)."""
    try:
        context = app_context(request)
        client, signed = await authenticate(request, context)
        require_role(client.principal, Role.AGENCY, "downloadEdoc")
        check_signed("downloadEdoc", DOWNLOAD, client, signed)
        data = await fetch(Call(request, context, client.principal, signed))
    except Failure as failure:
        log.info("SDK request refused", operation="downloadEdoc", error=failure.description)
        return Response(b"", headers={"X-Axis-Error": header_text(failure), **failure.headers})
    except Exception as error:
        if database_unavailable(error):
            unavailable.logged(error, operation="downloadEdoc")
            headers = {"X-Axis-Error": header_text(database_failure()), **RETRY_AFTER}
            return Response(b"", headers=headers)
        internal = internal_failure("downloadEdoc")
        return Response(b"", headers={"X-Axis-Error": header_text(internal)})
    return Response(data, media_type="application/xml")


def internal_failure(operation: str) -> Failure:
    """Log the exception being handled under a new error id (plainly: see `axis.logs`), and
    the FAIL 500 that answers it with the same id."""
    error_id = new_error_id()
    log.exception("SDK request failed", operation=operation, error_id=error_id)
    return refused(
        "500",
        "INTERNAL_ERROR",
        f"The node failed to answer; the error is logged under id {error_id}.",
    )


def header_text(failure: Failure) -> str:
    """`ErrorCode ErrorDesc` as a safe header value (ASCII, one line, bounded)."""
    text = f"{failure.code} {failure.description}".encode("ascii", "backslashreplace").decode()
    return "".join(c if c.isprintable() else " " for c in text)[:300]


def endpoint(operation: Operation) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        return await perform(request, operation)

    handle.__name__ = f"vxp_{operation.name}"
    handle.__doc__ = f"The national SDK's {operation.name}."
    return handle


class _MoreSlashes(Convertor[str]):
    """Extra slashes after a `/` of a route's path (none or more), so that a route also matches
    its path with `//`: the SDK builds URLs as `endpoint + "/" + operation`, so an endpoint
    ending in `/` asks for `/vxp//getEdoc`."""

    regex = "/*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor(SLASHES, _MoreSlashes())


def collapsible(path: str) -> str:
    """`path` as a route pattern matching it with any `/` repeated (`/vxp/getEdoc` also
    matches `//vxp///getEdoc`); the extra slashes land in path parameters nobody reads."""
    parts = path.split("/")[1:]
    return "".join(f"/{{_s{i}:{SLASHES}}}{part}" for i, part in enumerate(parts))


def router(prefix: str) -> APIRouter:
    """The 13 operations under `prefix` (the `compat_prefix` setting, "" for the root); they
    are left out of the OpenAPI document, which describes `/v1`."""
    api = APIRouter()
    for operation in OPERATIONS:
        api.add_api_route(
            collapsible(f"{prefix}/{operation.name}"),
            endpoint(operation),
            methods=["POST"],
            include_in_schema=False,
            name=f"vxp_{operation.name}",
        )
    api.add_api_route(
        collapsible(f"{prefix}/downloadEdoc"),
        download_edoc,
        methods=["GET"],
        include_in_schema=False,
        name="vxp_downloadEdoc",
    )
    return api


def install_misdirected(app: FastAPI, prefix: str) -> None:
    """Answer an SDK request sent to the wrong path (a wrong endpoint prefix, a missing one) in
    the SDK's own shape: FastAPI's JSON 404 reads to the SDK as an all-empty result, which a DMS
    cannot tell from an empty inbox. A request is the SDK's when it carries XroadVnpt headers;
    every other 404 keeps the `/v1` error body."""
    fallback = app.exception_handlers.get(StarletteHTTPException)

    async def not_found(request: Request, error: Exception) -> Response:
        if any(name.lower().startswith(PREFIX_HEADER) for name in request.headers):
            return misdirected(request, prefix)
        assert fallback is not None
        answered = fallback(request, error)
        return await answered if inspect.isawaitable(answered) else answered

    app.add_exception_handler(404, not_found)


def misdirected(request: Request, prefix: str) -> Response:
    operation = request.url.path.rstrip("/").rpartition("/")[2]
    known = {o.name.lower(): o.name for o in OPERATIONS} | {"downloadedoc": "downloadEdoc"}
    named = known.get(operation.lower())
    endpoint = f"{request.base_url}".rstrip("/") + prefix
    failure = refused(
        "404",
        "ENDPOINT_NOT_FOUND",
        f"{request.url.path} is not an operation of this node; the SDK's endpoint is "
        f"{endpoint}" + (f" (then /{named})" if named else "") + ".",
    )
    log.info("SDK request to a wrong path", path=request.url.path)
    if named == "downloadEdoc":
        return Response(b"", headers={"X-Axis-Error": header_text(failure)})
    extra = {"DocId": ""} if named == "sendEdoc" else {}
    return failure_reply(failure, extra)


PREFIX_HEADER = "xroadvnpt-"


__all__ = ["OPERATIONS", "install_misdirected", "router"]
