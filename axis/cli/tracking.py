"""`axis track`, `axis stuck`, `axis evidence`: where every document is, and proof of it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from axis.cli.options import AsJson
from axis.node.parts import database
from axis.services.delivery_reports import DeliveryRow, stuck_deliveries
from axis.services.tracking import find_reports
from axis.settings import load_settings
from axis.store.db import session_factory
from routing.evidence import EvidenceLog

evidence_app = typer.Typer(help="The tamper-evident log: verify it, prove a message.",
                           no_args_is_help=True)  # fmt: skip
T = TypeVar("T")


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    settings = load_settings()

    async def _run() -> T:
        async with database(settings) as engine, session_factory(engine)() as session:
            return await work(session)

    return asyncio.run(_run())


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
    print_reports(Console(), reports)


def print_reports(console: Console, reports: list[dict[str, object]]) -> None:
    """Each message's recipients, where each stands, and its timeline, as rich tables."""
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
            table = Table(box=None, padding=(0, 2))
            table.add_column("at (UTC)", no_wrap=True)
            for name in ("event", "status", "effect"):
                table.add_column(name, no_wrap=True)
            table.add_column("detail")
            for step in recipient["timeline"]:
                at = datetime.fromisoformat(step["at"]).astimezone(UTC)
                shown = at.replace(tzinfo=None).isoformat(sep=" ", timespec="milliseconds")
                table.add_row(shown, step["event"], step["status"] or "",
                              step["effect"], step["detail"] or "")  # fmt: skip
            console.print(table)


def stuck(
    hours: Annotated[float, typer.Option(help="No progress for this many hours.")] = 24.0,
    recipient: Annotated[str | None, typer.Option(help="Only this recipient.")] = None,
    as_json: AsJson = False,
) -> None:
    """Deliveries that stopped moving: not finished and unchanged for `--hours`."""

    async def work(session: AsyncSession) -> list[DeliveryRow]:
        return await stuck_deliveries(
            session, None, older_than=timedelta(hours=hours), now=datetime.now(UTC),
            recipient=recipient or "", limit=1000,
        )  # fmt: skip

    found = _in_session(work)
    rows = [
        {"message_id": d.message_id, "recipient": d.recipient_code, "phase": d.phase.value,
         "status": d.status.value if d.status else None,
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
