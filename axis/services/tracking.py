"""Tracking as a clerk reads it: per message, each recipient's phase, status and timeline (the
shape `axis track --json` prints and the demo shows), and the part of it a caller may see:
`GET /v1/tracking/{key}`, the dashboard's message page, `axis track` and the demo read it here.

Who sees what: an operator, and the sender, see every recipient; a recipient sees its own
deliveries; anyone else sees nothing, and is told the same as for a key that does not exist."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from axis.store.credentials import Principal, Role
from routing.tracking import DeliveryView, MessageInfo, TimelineEntry, TrackingStore


def message_report(
    message: MessageInfo, deliveries: list[DeliveryView], timeline: list[TimelineEntry]
) -> dict[str, object]:
    """A message as a clerk reads it: per recipient, where it stands and what happened."""
    return {
        "message_id": str(message.message_id),
        "kind": message.kind.value,
        "sender": message.sender_code,
        "document_id": message.document_id,
        "submitted_at": message.submitted_at.isoformat(),
        "recipients": [
            {
                "recipient": d.recipient_code,
                "addressed_to": d.addressed_to,
                "phase": d.phase.value,
                "status": d.status.progress.value if d.status.progress else None,
                "attempts": d.attempts,
                "updated_at": d.updated_at.isoformat(),
                "last_error": d.last_error,
                "timeline": [
                    {
                        "at": e.at.isoformat(),
                        "event": e.event.value,
                        "status": e.status_code.value if e.status_code else None,
                        "effect": e.effect,
                        "detail": e.detail,
                        "node": e.node_id,
                    }
                    for e in timeline
                    if e.recipient_code == d.recipient_code
                ],
            }
            for d in deliveries
        ],
    }


async def find_reports(session: AsyncSession, key: str) -> list[dict[str, object]]:
    """Reports for a message id, or for every message with that DocumentId."""
    store = TrackingStore()
    try:
        found = await store.message(session, uuid.UUID(key))
        messages = [found] if found else []
    except ValueError:
        messages = await store.messages_by_document(session, key)
    return [
        message_report(
            m,
            await store.deliveries_of(session, m.message_id),
            await store.timeline(session, m.message_id),
        )
        for m in messages
    ]


def visible_part(principal: Principal, report: dict[str, Any]) -> dict[str, Any] | None:
    """What of `report` the caller may see, or None."""
    if principal.has(Role.OPERATOR) or principal.acts_for(report["sender"]):
        return report
    own = [r for r in report["recipients"] if principal.acts_for(r["recipient"])]
    return {**report, "recipients": own} if own else None


async def visible_reports(
    sessions: async_sessionmaker[AsyncSession], key: str, principal: Principal
) -> list[dict[str, Any]]:
    """The reports for `key` (a message id or a DocumentId), each cut to what `principal` may
    see; empty when there is none it may see."""
    async with sessions() as session:
        reports = await find_reports(session, key)
    visible = (visible_part(principal, report) for report in reports)
    return [report for report in visible if report is not None]


async def message_view(
    sessions: async_sessionmaker[AsyncSession], message_id: uuid.UUID, principal: Principal
) -> tuple[MessageInfo, dict[str, Any]] | None:
    """One message and the part of its report `principal` may see (the dashboard's message
    page); None when there is nothing it may see."""
    store = TrackingStore()
    async with sessions() as session:
        info = await store.message(session, message_id)
        if info is None:
            return None
        full = message_report(
            info,
            await store.deliveries_of(session, message_id),
            await store.timeline(session, message_id),
        )
    report = visible_part(principal, full)
    return (info, report) if report is not None else None
