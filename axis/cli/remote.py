"""`axis send|inbox|fetch|ack|track`: a document management system's work from a shell, over
the node's HTTP API as the profile's client, and what every HTTP command shares.

These commands reach the node only through the profile's URL (never its database), so they
work from any machine and every action is checked and audited as that client, exactly as a
document management system's own calls would be.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from axis.cli import tracking
from axis.cli.options import AsJson
from axis.cli.profiles import ProfileError, ProfileName, load_profile
from axis.client import AxisClient, AxisError, SendResult


class KindChoice(StrEnum):
    EDOC = "edoc"
    STATUS = "status"


class AckChoice(StrEnum):
    PROCESSING = "processing"
    DONE = "done"
    FAIL = "fail"


def fail(code: str, message: str) -> NoReturn:
    """End the command as every axis command does: `CODE: sentence` on stderr, exit 1."""
    typer.echo(f"{code}: {message}", err=True)
    raise typer.Exit(1)


@contextmanager
def node(profile: str | None) -> Iterator[AxisClient]:
    """The client of the profile; a refusal or an unreachable node inside the block ends the
    command with its code and sentence."""
    try:
        chosen = load_profile(profile)
        with AxisClient(chosen.url, chosen.secret) as client:
            yield client
    except (AxisError, ProfileError) as error:
        fail(error.code, error.message)


def as_data(value: BaseModel | Sequence[BaseModel]) -> Any:
    """Models as plain JSON values (datetimes as ISO-8601 strings)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return [v.model_dump(mode="json") for v in value]


def _json_value(value: object) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def echo_json(value: object) -> None:
    """`value` as indented JSON on stdout; models and times inside it included."""
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=_json_value))


def when(value: datetime | None) -> str:
    """A time in UTC, to the second, for tables (`--json` keeps the full value)."""
    if value is None:
        return ""
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S}"


def print_table(table: Table) -> None:
    Console().print(table)


@contextmanager
def progress(total: int, what: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr, for more than one item on a terminal; yields `advance`."""
    console = Console(stderr=True)
    if total <= 1 or not console.is_terminal:
        yield lambda: None
        return
    bar = Progress(
        TextColumn(what), BarColumn(), MofNCompleteColumn(),
        console=console, transient=True, redirect_stdout=False,
    )  # fmt: skip
    task = bar.add_task(what, total=total)
    with bar:
        yield lambda: bar.advance(task)


def _outcome_lines(result: SendResult) -> list[str]:
    lines = []
    for r in result.recipients:
        if r.outcome == "routed":
            lines.append(f"  {r.addressed}  routed")
        elif r.outcome == "redirected":
            chain = " -> ".join(r.chain) if r.chain else f"{r.addressed} -> {r.target}"
            lines.append(f"  {r.addressed}  redirected to {r.target} ({chain})")
        else:
            lines.append(f"  {r.addressed}  rejected {r.reason_code or ''}: {r.reason or ''}")
    return lines


def send(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Signed edXML packets (e.g. made by `axis sign`).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """Send signed packets as the profile's client; for each, per recipient: routed,
    redirected (to whom) or rejected (why). Exit status 1 when the node refuses a packet or a
    recipient is rejected."""
    answers: list[dict[str, Any]] = []
    with node(profile) as axis, progress(len(files), "sending") as advance:
        for path in files:
            try:
                result = axis.send(path.read_bytes())
            except AxisError as error:
                if error.status is None or error.status == 401:
                    raise  # no other file would fare better
                refusal = {"code": error.code, "message": error.message,
                           "problems": error.problems}  # fmt: skip
                answers.append({"file": str(path), "error": refusal})
            else:
                answers.append({"file": str(path), "result": result})
            advance()
    refused = any("error" in a or a["result"].rejected for a in answers)
    if as_json:
        echo_json(answers)
    else:
        for answer in answers:
            _print_answer(answer)
    if refused:
        raise typer.Exit(1)


def _print_answer(answer: dict[str, Any]) -> None:
    if "error" in answer:
        error = answer["error"]
        typer.echo(f"{answer['file']}: {error['code']}: {error['message']}", err=True)
        for problem in error["problems"][:20]:
            described = ", ".join(f"{k}={v}" for k, v in problem.items())
            typer.echo(f"  {described}", err=True)
        return
    result: SendResult = answer["result"]
    again = " (sent before: the first answer)" if result.duplicate else ""
    typer.echo(
        f"{answer['file']}: message {result.message_id}, document {result.document_id}{again}"
    )
    for line in _outcome_lines(result):
        typer.echo(line)


def inbox(
    kind: Annotated[KindChoice | None, typer.Option(help="Only documents or statuses.")] = None,
    pending: Annotated[bool, typer.Option(help="Only items not answered done/fail.")] = False,
    since: Annotated[int, typer.Option(help="After this id (the cursor of a previous page).")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    code: Annotated[str | None, typer.Option(help="Only this one of the client's codes.")] = None,
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """The packets waiting for the client's codes, oldest first."""
    with node(profile) as axis:
        page = axis.inbox(kind.value if kind else None, since, limit, code, pending)
    if as_json:
        echo_json(page)
        return
    table = Table("id", "received (UTC)", "kind", "message", "from", "to", "document", "ack")
    for i in page.items:
        table.add_row(
            str(i.id), when(i.received_at), i.kind, i.message_id, i.sender, i.recipient,
            i.document_id, i.ack or ("fetched" if i.fetched_at else ""),
        )  # fmt: skip
    print_table(table)
    more = f"; next page: --since {page.next_since}" if len(page.items) == limit else ""
    typer.echo(f"{len(page.items)} item(s){more}")


def fetch(
    message_id: Annotated[str, typer.Argument(help="The message id (from `axis inbox`).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")
    ] = None,
    profile: ProfileName = None,
) -> None:
    """The packet's bytes exactly as the sender signed them."""
    with node(profile) as axis:
        data = axis.fetch(message_id)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    output.write_bytes(data)
    typer.echo(f"{message_id}: {len(data):,} bytes written to {output}")


def ack(
    message_id: Annotated[str, typer.Argument(help="The message id.")],
    answer: Annotated[AckChoice, typer.Argument(help="processing, done or fail.")],
    detail: Annotated[str | None, typer.Option(help="Why (e.g. the reason of a fail).")] = None,
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """Acknowledge a packet: processing, then done or fail (final)."""
    with node(profile) as axis:
        result = axis.ack(message_id, answer.value, detail)
    if as_json:
        echo_json(result)
        return
    typer.echo(f"{message_id}: {answer.value}" + ("" if result.changed else " (recorded before)"))


def track(
    key: Annotated[str, typer.Argument(help="A message id, or a DocumentId.")],
    local: Annotated[
        bool,
        typer.Option(
            help="Read this machine's node database (the node's settings) instead of the API."
        ),
    ] = False,
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """Where a document is, for each recipient, with its timeline (what the profile's client
    may see: a sender every recipient, a recipient its own delivery, an operator all)."""
    if local:
        tracking.track(key, as_json)
        return
    with node(profile) as axis:
        reports = as_data(axis.tracking(key))
    if as_json:
        echo_json(reports)
        return
    tracking.print_reports(Console(), reports)
