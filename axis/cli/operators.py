"""`axis dead-letters ...` and `axis destinations ...`: the operator's commands, audited."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from axis.cli.options import Actor, AsJson, default_actor, parse_optional_time
from axis.db import session_factory
from axis.operator import Operator
from axis.settings import Settings, load_settings
from axis.wiring import database, topic_layout, transactional_producer
from envelopes.records import DeliveryRecord, RecordCodec
from routing.dead_letters import DeadLetter, DeadLetterQuery
from routing.destinations import Pause
from routing.operations import ReplayError

dead_letters_app = typer.Typer(help="Dead letters: list, inspect, replay.", no_args_is_help=True)
destinations_app = typer.Typer(
    help="Destinations: pause and resume deliveries to an agency.", no_args_is_help=True
)

T = TypeVar("T")


def _with_operator(work: Callable[[Operator, Settings], Awaitable[T]]) -> T:
    settings = load_settings()

    async def _run() -> T:
        async with database(settings) as engine:
            operator = Operator(
                session_factory(engine), topic_layout(settings), settings.node_id, RecordCodec()
            )
            return await work(operator, settings)

    return asyncio.run(_run())


def _letter_json(letter: DeadLetter) -> dict[str, object]:
    return {
        "id": letter.id, "message_id": letter.message_id, "kind": letter.kind,
        "sender": letter.sender_code, "recipient": letter.recipient_code,
        "document_id": letter.document_id, "origin": letter.origin, "failures": letter.failures,
        "first_failed_at": letter.first_failed_at.isoformat() if letter.first_failed_at else None,
        "first_error": letter.first_error, "last_error": letter.last_error,
        "error_class": letter.error_class, "reason": letter.reason,
        "dead_at": letter.dead_at.isoformat(),
        "replayed_at": letter.replayed_at.isoformat() if letter.replayed_at else None,
        "replayed_by": letter.replayed_by,
    }  # fmt: skip


@dead_letters_app.command("list")
def list_dead_letters(
    recipient: Annotated[str | None, typer.Option(help="Only this recipient code.")] = None,
    since: Annotated[str | None, typer.Option(help="Dead since (ISO-8601 with zone).")] = None,
    until: Annotated[str | None, typer.Option(help="Dead before (ISO-8601 with zone).")] = None,
    replayed: Annotated[bool, typer.Option(help="Include replayed ones.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    as_json: AsJson = False,
) -> None:
    """List dead letters, oldest first."""
    query = DeadLetterQuery(
        recipient_code=recipient,
        since=parse_optional_time(since, "--since"),
        until=parse_optional_time(until, "--until"),
        include_replayed=replayed,
        limit=limit,
    )

    async def work(operator: Operator, _: Settings) -> list[DeadLetter]:
        return await operator.dead_letters(query)

    letters = _with_operator(work)
    if as_json:
        typer.echo(json.dumps([_letter_json(x) for x in letters], ensure_ascii=False, indent=2))
        return
    table = Table("id", "dead at", "recipient", "message", "failures", "class", "last error")
    for x in letters:
        table.add_row(
            str(x.id), f"{x.dead_at:%Y-%m-%d %H:%M:%S}", x.recipient_code, x.message_id,
            str(x.failures), x.error_class or "", x.last_error or "",
        )  # fmt: skip
    Console().print(table)
    typer.echo(f"{len(letters)} dead letter(s)")


@dead_letters_app.command("show")
def show_dead_letter(
    dead_letter_id: Annotated[int, typer.Argument(help="The dead letter's id.")],
) -> None:
    """Everything known of one dead letter (JSON), including its delivery record."""

    async def work(operator: Operator, _: Settings) -> DeadLetter | None:
        return await operator.dead_letter(dead_letter_id)

    letter = _with_operator(work)
    if letter is None:
        typer.echo(f"DEAD_LETTER_NOT_FOUND: there is no dead letter {dead_letter_id}", err=True)
        raise typer.Exit(1)
    shown = _letter_json(letter)
    record = RecordCodec().decode(letter.record, DeliveryRecord)
    shown["record"] = {
        "attempt": record.attempt, "submitted_at": record.submitted_at.isoformat(),
        "packet_sha256": record.packet_sha256.hex(), "redirected_from": record.redirected_from,
        "hops": [{"organ_id": h.organ_id, "at": h.at.isoformat(), "node_id": h.node_id}
                 for h in record.hops],
    }  # fmt: skip
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@dead_letters_app.command("replay")
def replay_dead_letters(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead letter ids.")] = None,
    recipient: Annotated[str | None, typer.Option(help="Every dead letter of a recipient.")] = None,
    since: Annotated[str | None, typer.Option(help="Dead since (ISO-8601 with zone).")] = None,
    until: Annotated[str | None, typer.Option(help="Dead before (ISO-8601 with zone).")] = None,
    actor: Actor = "",
) -> None:
    """Send dead letters back to delivery, by id or by recipient and time window (audited)."""
    if not ids and recipient is None and since is None and until is None:
        raise typer.BadParameter("name dead letter ids, or --recipient and/or --since/--until")
    query = DeadLetterQuery(
        recipient_code=recipient,
        since=parse_optional_time(since, "--since"),
        until=parse_optional_time(until, "--until"),
        limit=10_000,
    )
    who = actor or default_actor()

    async def work(operator: Operator, settings: Settings) -> int:
        async with transactional_producer(settings, "replay") as producer:
            done = await operator.replay(
                producer, actor=who, ids=list(ids) if ids else None, query=query
            )
        for replayed in done:
            typer.echo(f"replayed {replayed.dead_letter_id}: {replayed.message_id} -> "
                       f"{replayed.recipient_code}")  # fmt: skip
        return len(done)

    try:
        count = _with_operator(work)
    except ReplayError as error:
        typer.echo(f"{error.code}: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"{count} dead letter(s) replayed by {who}")


@destinations_app.command("pause")
def pause(
    code: Annotated[str, typer.Argument(help="The recipient's organization code.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    actor: Actor = "",
) -> None:
    """Hold deliveries to an agency (they wait on the retry tiers, without failing)."""
    who = actor or default_actor()

    async def work(operator: Operator, _: Settings) -> bool:
        return await operator.pause(code, actor=who, reason=reason)

    changed = _with_operator(work)
    typer.echo(f"{code} paused by {who}" if changed else f"{code} was paused already")


@destinations_app.command("resume")
def resume(
    code: Annotated[str, typer.Argument(help="The recipient's organization code.")],
    actor: Actor = "",
) -> None:
    """Deliver to an agency again."""
    who = actor or default_actor()

    async def work(operator: Operator, _: Settings) -> bool:
        return await operator.resume(code, actor=who)

    changed = _with_operator(work)
    typer.echo(f"{code} resumed by {who}" if changed else f"{code} was not paused")


@destinations_app.command("list")
def list_paused(as_json: AsJson = False) -> None:
    """The paused destinations."""

    async def work(operator: Operator, _: Settings) -> list[Pause]:
        return await operator.paused()

    rows = [
        {"code": p.code, "paused_by": p.paused_by, "paused_at": p.paused_at.isoformat(),
         "reason": p.reason}
        for p in _with_operator(work)
    ]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['code']}  paused by {row['paused_by']} at {row['paused_at']}: "
                   f"{row['reason']}")  # fmt: skip
    if not rows:
        typer.echo("no destination is paused")
