"""The SDK's document operations: sendEdoc, the inbox (getReceivedEdocList, getEdoc,
downloadEdoc's read, updateStatus, the counts) and the sent list (getSentEdocList)."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog

from axis.http.compat.dialect import (
    MAX_RECEIVED,
    MAX_SENT,
    SDK_VERSION,
    SERVICE_TYPE,
    Call,
    Failure,
    Fields,
    authentication_failed,
    refused,
)
from axis.http.compat.signature import (
    codes_in_to,
    file_matching,
)
from axis.http.dms import KIND_NAMES, KINDS
from axis.services.sent import SentNotFound, sent_naming
from envelopes.model import DocumentPacket
from envelopes.parsing import parse_packet
from envelopes.records import RecordKind
from orgcodes.model import local_time
from routing.inbox_store import Ack, InboxAckConflict, InboxItem, InboxItemNotFound
from routing.lifecycle import Phase
from routing.outcomes import (
    BUSY_RETRY_SECONDS,
    RouteOutcome,
    SubmissionRefused,
    SubmissionResult,
)
from routing.signature_policy import Signature
from routing.tracking import DeliveryView, MessageInfo

log = structlog.get_logger(__name__)


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
    """One item per (sent message, recipient), with the delivery's state (`sent_naming` says
    what a `docId` does to the list)."""
    try:
        listed = await sent_naming(
            call.context.node.sessions, call.codes, call.param("docId"), kind=message_kind(call),
            limit=MAX_SENT,
        )  # fmt: skip
    except SentNotFound as error:
        raise refused("404", "SENT_NOT_FOUND", str(error)) from None
    items: list[Fields] = [
        sent_item(s.message, delivery, s.fetched.get(delivery.recipient_code))
        for s in listed
        for delivery in s.deliveries
    ]
    return {"data": items}


_SEND_STATUS: dict[Phase, tuple[str, str]] = {
    Phase.QUEUED: ("sending", "accepted by axis, queued for the recipient"),
    Phase.RETRYING: ("sending", "accepted by axis, delivery being retried"),
    Phase.DELIVERED: ("sent", "delivered to the recipient's inbox"),
    Phase.FETCHED: ("sent", "delivered and fetched by the recipient"),
    Phase.ACKNOWLEDGED: ("sent", "delivered and answered by the recipient"),
    Phase.FAILED: ("fail", "not delivered"),
    Phase.DEAD: ("fail", "not delivered: retries exhausted"),
    Phase.REROUTED: ("sent", "the recipient's code closed on the way: re-routed to its successor"),
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
    elif phase is Phase.REROUTED:
        status, description = "pending", "re-routed to the successor of the closed code (its item)"
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
