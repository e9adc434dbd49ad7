"""Tracking as a clerk reads it: per message, each recipient's phase, status and timeline (the
shape `axis track --json` prints and the demo shows)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

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
