"""`axis track`, `axis stuck`, `axis evidence`: where every document is, and proof of it."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from axis.cli.options import AsJson
from axis.db import session_factory
from axis.settings import load_settings
from axis.wiring import database
from routing.evidence import EvidenceLog
from routing.tracking import DeliveryView, MessageInfo, TimelineEntry, TrackingStore

evidence_app = typer.Typer(help="The tamper-evident log: verify it, prove a message.",
                           no_args_is_help=True)  # fmt: skip
T = TypeVar("T")


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    settings = load_settings()

    async def _run() -> T:
        async with database(settings) as engine, session_factory(engine)() as session:
            return await work(session)

    return asyncio.run(_run())


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


def track(
    key: Annotated[str, typer.Argument(help="A message id, or a DocumentId.")],
    as_json: AsJson = False,
) -> None:
    """Where a document is, for each recipient, with its timeline."""
    reports = _in_session(lambda session: find_reports(session, key))
    if not reports:
        typer.echo(
            f"TRACKING_NOT_FOUND: no message or DocumentId {key!r} is tracked here", err=True
        )
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(reports, ensure_ascii=False, indent=2))
        return
    console = Console()
    for report in reports:
        console.print(
            f"[bold]{report['document_id']}[/bold]  {report['kind']} from {report['sender']}  "
            f"message {report['message_id']}  submitted {report['submitted_at']}"
        )
        for recipient in report["recipients"]:  # type: ignore[attr-defined]
            redirected = (
                f" (addressed to {recipient['addressed_to']})" if recipient["addressed_to"] else ""
            )
            console.print(
                f"  {recipient['recipient']}{redirected}: {recipient['phase']}, "
                f"status {recipient['status'] or '-'}, {recipient['attempts']} attempt(s)"
            )
            table = Table("at", "event", "status", "effect", "detail", box=None, padding=(0, 2))
            for step in recipient["timeline"]:
                table.add_row(step["at"], step["event"], step["status"] or "", step["effect"],
                              step["detail"] or "")  # fmt: skip
            console.print(table)


def stuck(
    hours: Annotated[float, typer.Option(help="No progress for this many hours.")] = 24.0,
    recipient: Annotated[str | None, typer.Option(help="Only this recipient.")] = None,
    as_json: AsJson = False,
) -> None:
    """Deliveries that stopped moving: not finished and unchanged for `--hours`."""

    async def work(session: AsyncSession) -> list[DeliveryView]:
        return await TrackingStore().find_deliveries(
            session, recipient_code=recipient, stuck_for=timedelta(hours=hours), limit=1000
        )

    found = _in_session(work)
    rows = [
        {"message_id": str(d.message_id), "recipient": d.recipient_code, "phase": d.phase.value,
         "status": d.last_status.value if d.last_status else None,
         "since": d.updated_at.isoformat(), "last_error": d.last_error}
        for d in found
    ]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['message_id']}  {row['recipient']}  {row['phase']}  "
                   f"status {row['status'] or '-'}  since {row['since']}")  # fmt: skip
    typer.echo(f"{len(rows)} stuck deliver{'y' if len(rows) == 1 else 'ies'}")


@evidence_app.command("verify")
def verify_evidence() -> None:
    """Recompute every hash chain; exit 1 and name the first broken entry if any."""
    reports = _in_session(lambda session: EvidenceLog().verify_all(session))
    broken = [r for r in reports if not r.intact]
    for report in reports:
        state = (
            "intact" if report.intact else f"BROKEN at entry {report.broken_at}: {report.reason}"
        )
        typer.echo(f"chain {report.chain}: {report.entries} entries, {state}, head {report.head}")
    if not reports:
        typer.echo("the evidence log is empty")
    if broken:
        raise typer.Exit(1)


@evidence_app.command("proof")
def proof(message_id: Annotated[str, typer.Argument(help="The message id.")]) -> None:
    """Every evidence entry about a message, with the hashes that link it into its chain."""
    entries = _in_session(lambda session: EvidenceLog().proof(session, message_id))
    shown = [
        {"chain": e.chain, "seq": e.seq, "kind": e.evidence.kind, "party": e.evidence.party,
         "packet_sha256": e.evidence.packet_sha256, "at": e.evidence.at.isoformat(),
         "detail": e.evidence.detail, "previous": e.previous, "hash": e.hash}
        for e in entries
    ]  # fmt: skip
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    if not shown:
        raise typer.Exit(1)
