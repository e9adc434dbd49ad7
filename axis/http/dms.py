"""The document management systems' routes: send, inbox, fetch, acknowledge, sent, tracking."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from axis.http.auth import Agency, Tracker, scoped_codes
from axis.http.bodies import packet_body
from axis.http.context import AppContext, app_context
from axis.http.errors import ApiError, error_responses
from axis.services.sent import sent_by
from axis.services.tracking import message_report, visible_reports
from axis.wire.documents import (
    AckReply,
    InboxEntry,
    InboxPage,
    SentEntry,
    SubmitReply,
    TrackingReport,
)
from envelopes.records import RecordKind
from routing.inbox_store import Ack, InboxAckConflict, InboxItem, InboxItemNotFound
from routing.outcomes import BUSY_RETRY_SECONDS, SubmissionRefused
from routing.pull_delivery import Fetched

router = APIRouter(prefix="/v1", tags=["documents"])
Context = Annotated[AppContext, Depends(app_context)]

KINDS: dict[str, RecordKind] = {"edoc": RecordKind.DOCUMENT, "status": RecordKind.STATUS}
"""The national API's words for the two kinds of packet."""
KIND_NAMES = {kind: name for name, kind in KINDS.items()}


class AckRequest(BaseModel):
    ack: Ack = Field(description="processing, done or fail")
    detail: str | None = Field(default=None, max_length=500)


def inbox_entry(item: InboxItem) -> InboxEntry:
    return InboxEntry(
        id=item.id,
        message_id=str(item.message_id),
        kind=KIND_NAMES[item.kind],
        recipient=item.recipient_code,
        sender=item.sender_code,
        document_id=item.document_id,
        addressed_to=item.addressed_to,
        size=item.packet_size,
        received_at=item.received_at,
        fetched_at=item.fetched_at,
        ack=item.ack.value if item.ack else None,
        ack_at=item.ack_at,
    )


def message_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError(
            404, "INBOX_ITEM_NOT_FOUND", f"{value!r} is not a message id (a UUID)."
        ) from None


@router.post(
    "/packets",
    response_model=SubmitReply,
    status_code=202,
    summary="Send a signed edXML packet",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses=error_responses(400, 401, 403, 413, 422, 503),
)
async def send_packet(request: Request, principal: Agency, context: Context) -> SubmitReply:
    """The body is the signed packet's bytes exactly as signed. The node verifies it, checks
    that its From is one of the client's codes, and routes it to each recipient; the reply
    tells, per recipient, whether it was routed, redirected (and to whom) or rejected."""
    data = await packet_body(request)
    if not data:
        raise ApiError(400, "PACKET_EMPTY", "The body is empty: send the signed edXML packet.")
    try:
        result = await context.node.submission.submit(
            data, caller_codes=principal.codes, caller=principal.client_id,
            policy=principal.signature_policy,
        )  # fmt: skip
    except SubmissionRefused as refused:
        if refused.busy:
            retry = {"Retry-After": str(BUSY_RETRY_SECONDS)}
            raise ApiError(503, refused.code, refused.message, headers=retry) from None
        status = 403 if refused.forbidden else 422
        raise ApiError(status, refused.code, refused.message, problems=refused.problems) from None
    return SubmitReply.model_validate(result.as_dict())


@router.get(
    "/inbox",
    response_model=InboxPage,
    summary="List the inbox",
    responses=error_responses(401, 403, 422),
)
async def inbox(
    principal: Agency,
    context: Context,
    kind: Annotated[Literal["edoc", "status"] | None, Query()] = None,
    since: Annotated[int, Query(ge=0, le=2**62, description="Cursor: the last id seen.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    code: Annotated[
        str | None, Query(max_length=64, description="One of the client's codes.")
    ] = None,
    pending: Annotated[bool, Query(description="Only items not answered done/fail.")] = False,
) -> InboxPage:
    """Packets for the client's codes after `since`, oldest first."""
    items = await context.node.mailbox.list(
        scoped_codes(principal, code), kind=KINDS[kind] if kind else None, since=since,
        limit=limit, unacknowledged_only=pending,
    )  # fmt: skip
    return InboxPage(
        items=[inbox_entry(i) for i in items], next_since=items[-1].id if items else since
    )


@router.get(
    "/packets/{message_id}",
    summary="Fetch a packet from the inbox",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}}},
        **error_responses(401, 403, 404),
    },
)
async def fetch_packet(
    principal: Agency, context: Context, message_id: Annotated[str, Path(max_length=64)]
) -> Response:
    """The packet's bytes exactly as the sender signed them; the first fetch is tracked. A
    large packet is streamed as it is read from the payload store (with its Content-Length:
    a reader that gets fewer bytes knows the transfer broke)."""
    try:
        fetched = await context.node.mailbox.fetch_stream(
            sorted(principal.codes), message_uuid(message_id)
        )
    except InboxItemNotFound as error:
        raise not_found(error) from None
    headers = {"X-Axis-Message-Id": message_id, "X-Axis-Kind": KIND_NAMES[fetched.item.kind]}
    if isinstance(fetched, Fetched):
        return Response(fetched.data, media_type="application/xml", headers=headers)
    headers["Content-Length"] = str(fetched.item.packet_size)
    return StreamingResponse(fetched.chunks, media_type="application/xml", headers=headers)


@router.post(
    "/inbox/{message_id}/ack",
    response_model=AckReply,
    summary="Acknowledge a packet",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def acknowledge(
    principal: Agency,
    context: Context,
    message_id: Annotated[str, Path(max_length=64)],
    answer: AckRequest,
) -> AckReply:
    """`processing` while the DMS works on it, then `done` or `fail` (final: a different final
    answer afterwards is refused with 409 `INBOX_ACK_CONFLICT`; the same one is accepted)."""
    try:
        result = await context.node.mailbox.acknowledge(
            sorted(principal.codes), message_uuid(message_id), answer.ack, detail=answer.detail
        )
    except InboxItemNotFound as error:
        raise not_found(error) from None
    except InboxAckConflict as error:
        raise ApiError(409, error.code, str(error)) from None
    return AckReply(item=inbox_entry(result.item), changed=result.changed)


@router.get(
    "/sent",
    response_model=list[SentEntry],
    summary="List sent packets",
    responses=error_responses(401, 403, 422),
)
async def sent(
    principal: Agency,
    context: Context,
    since: Annotated[datetime | None, Query(description="Submitted at or after.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    code: Annotated[str | None, Query(max_length=64)] = None,
) -> list[SentEntry]:
    """What the client's codes sent, newest first, with each recipient's state."""
    listed = await sent_by(
        context.node.sessions, scoped_codes(principal, code), since=since, limit=limit
    )
    return [
        SentEntry.model_validate(
            {**message_report(s.message, s.deliveries, []), "subject": s.message.subject}
        )
        for s in listed
    ]


@router.get(
    "/tracking/{key:path}",
    response_model=list[TrackingReport],
    summary="Track a message or a document",
    responses=error_responses(401, 403, 404),
)
async def tracking(
    principal: Tracker, context: Context, key: Annotated[str, Path(max_length=200)]
) -> list[TrackingReport]:
    """Per recipient, where the message stands and its timeline. `key` is a message id or a
    DocumentId (every message with it). A sender sees every recipient of what it sent; a
    recipient sees its own deliveries; an operator sees all."""
    visible = await visible_reports(context.node.sessions, key, principal)
    if not visible:  # another agency's and unknown answer alike: no oracle of what exists
        raise ApiError(
            404, "TRACKING_NOT_FOUND",
            f"No message {key!r} (by message id or DocumentId) that client "
            f"{principal.client_id!r} sent or received.",
        )  # fmt: skip
    return [TrackingReport.model_validate(r) for r in visible]


def not_found(error: InboxItemNotFound) -> ApiError:
    """404 whether the message does not exist or is in another agency's inbox: the two answers
    are the same, so no caller learns which ids exist (see the README's access rules)."""
    return ApiError(404, error.code, str(error))
