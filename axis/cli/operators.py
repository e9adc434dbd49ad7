"""`axis dlq ...` and `axis destinations ...`: the operator's commands, over the node's HTTP
API with a profile whose client has the `operator` role.

The node audits each action as that client (`client:<id>`), so who did what is settled by the
secret used, not by a name typed on the command line.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from axis.cli.options import AsJson, parse_optional_time
from axis.cli.profiles import ProfileName
from axis.cli.remote import echo_json, node, print_table, when

dlq_app = typer.Typer(
    help="Dead letters: list, inspect, replay (over HTTP, operator).", no_args_is_help=True
)
destinations_app = typer.Typer(
    help="Destinations: pause and resume deliveries to an agency (over HTTP, operator).",
    no_args_is_help=True,
)

Since = Annotated[str | None, typer.Option(help="Dead since (ISO-8601 with zone).")]
Until = Annotated[str | None, typer.Option(help="Dead before (ISO-8601 with zone).")]


@dlq_app.command("list")
def list_dead_letters(
    recipient: Annotated[str | None, typer.Option(help="Only this recipient code.")] = None,
    since: Since = None,
    until: Until = None,
    replayed: Annotated[bool, typer.Option(help="Include replayed ones.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """List dead letters, oldest first."""
    start, end = parse_optional_time(since, "--since"), parse_optional_time(until, "--until")
    with node(profile) as axis:
        letters = axis.dead_letters(recipient, start, end, replayed, limit)
    if as_json:
        echo_json(letters)
        return
    table = Table("id", "dead at (UTC)", "recipient", "message", "failures", "class", "last error")
    for x in letters:
        table.add_row(
            str(x.id), when(x.dead_at), x.recipient, x.message_id, str(x.failures),
            x.error_class or "", x.last_error or "",
        )  # fmt: skip
    print_table(table)
    typer.echo(f"{len(letters)} dead letter(s)")


@dlq_app.command("show")
def show_dead_letter(
    dead_letter_id: Annotated[int, typer.Argument(help="The dead letter's id.")],
    profile: ProfileName = None,
) -> None:
    """Everything known of one dead letter (JSON), including its delivery record."""
    with node(profile) as axis:
        letter = axis.dead_letter(dead_letter_id)
    echo_json(letter)


@dlq_app.command("replay")
def replay_dead_letters(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead letter ids.")] = None,
    recipient: Annotated[str | None, typer.Option(help="Every dead letter of a recipient.")] = None,
    since: Since = None,
    until: Until = None,
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """Send dead letters back to delivery, by id or by recipient and time window (audited)."""
    start, end = parse_optional_time(since, "--since"), parse_optional_time(until, "--until")
    with node(profile) as axis:
        done = axis.replay(ids, recipient=recipient, since=start, until=end)
    if as_json:
        echo_json(done)
        return
    for replayed in done:
        typer.echo(f"replayed {replayed.dead_letter_id}: {replayed.message_id} -> "
                   f"{replayed.recipient}")  # fmt: skip
    typer.echo(f"{len(done)} dead letter(s) replayed")


@destinations_app.command("pause")
def pause(
    code: Annotated[str, typer.Argument(help="The recipient's organization code.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    profile: ProfileName = None,
) -> None:
    """Hold deliveries to an agency (they wait on the retry tiers, without failing)."""
    with node(profile) as axis:
        changed = axis.pause(code, reason).changed
    typer.echo(f"{code} paused" if changed else f"{code} was paused already")


@destinations_app.command("resume")
def resume(
    code: Annotated[str, typer.Argument(help="The recipient's organization code.")],
    profile: ProfileName = None,
) -> None:
    """Deliver to an agency again."""
    with node(profile) as axis:
        changed = axis.resume(code).changed
    typer.echo(f"{code} resumed" if changed else f"{code} was not paused")


@destinations_app.command("list")
def list_paused(profile: ProfileName = None, as_json: AsJson = False) -> None:
    """The paused destinations."""
    with node(profile) as axis:
        paused = axis.paused()
    if as_json:
        echo_json(paused)
        return
    if not paused:
        typer.echo("no destination is paused")
        return
    table = Table("code", "paused at (UTC)", "by", "reason")
    for p in paused:
        table.add_row(p.code, when(p.paused_at), p.paused_by, p.reason)
    print_table(table)
