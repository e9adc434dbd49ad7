"""`axis registry units|show|changes|submit|snapshot`: a node's registry read (and, for the
registry authority, changed) over HTTP with a profile, from any machine.

They join the `registry` group beside its local commands (`apply`, `resolve`, `export`, ...,
which work on this machine's node database): these ask the node behind the profile instead.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from axis.cli.options import AsJson, parse_optional_time
from axis.cli.profiles import ProfileName
from axis.cli.registry import registry_app
from axis.cli.remote import echo_json, node, print_table, when
from axis.client import Unit


class StatusChoice(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


At = Annotated[
    str | None, typer.Option(help="As the registry stood then (ISO-8601 with zone; default now).")
]


def _unit_table(units: list[Unit]) -> Table:
    table = Table("code", "name", "status", "level", "parent", "delivery", "version")
    for u in units:
        table.add_row(
            u.code, u.name, u.status, str(u.level), u.parent or "", u.delivery_mode,
            str(u.version),
        )  # fmt: skip
    return table


@registry_app.command("units")
def units(
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="In the code or the name.")
    ] = None,
    parent: Annotated[str | None, typer.Option(help="Only children of this code.")] = None,
    status: Annotated[StatusChoice | None, typer.Option(help="active or closed.")] = None,
    level: Annotated[int | None, typer.Option(help="Only this level (1: top).")] = None,
    at: At = None,
    offset: Annotated[int, typer.Option(help="Skip this many.")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """Search the node's registry (over HTTP, with the profile), ordered by code."""
    moment = parse_optional_time(at, "--at")
    with node(profile) as axis:
        page = axis.registry_units(
            query, parent=parent, status=status.value if status else None, level=level,
            at=moment, offset=offset, limit=limit,
        )  # fmt: skip
    if as_json:
        echo_json(page)
        return
    print_table(_unit_table(page.units))
    shown = f"{offset + 1}-{offset + len(page.units)}" if page.units else "none"
    typer.echo(f"{shown} of {page.total} unit(s)")


def _print_unit(unit: Unit) -> None:
    endpoint = f" to {unit.endpoint}" if unit.endpoint else ""
    until = f"; until {when(unit.until)}" if unit.until else ""
    typer.echo(f"{unit.code}  {unit.name}  ({unit.status}, level {unit.level})")
    typer.echo(f"  parent {unit.parent or '-'}; delivery {unit.delivery_mode}{endpoint}")
    typer.echo(f"  since {when(unit.since)}{until}")
    if unit.successors:
        typer.echo(f"  successors {', '.join(unit.successors)}")


@registry_app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="An organization code (own, old or alternate).")],
    at: At = None,
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """One unit (over HTTP, with the profile): its state, where a packet addressed to it goes,
    and its history."""
    moment = parse_optional_time(at, "--at")
    with node(profile) as axis:
        detail = axis.registry_unit(code, moment)
    if as_json:
        echo_json(detail)
        return
    if detail.unit is None:
        typer.echo(f"{code}: not a unit at that time")
    else:
        _print_unit(detail.unit)
    resolved = detail.resolve
    target = f" to {resolved.target}" if resolved.target else ""
    chain = f" via {' -> '.join(resolved.chain)}" if len(resolved.chain) > 1 else ""
    version = f"registry version {resolved.version}"
    typer.echo(f"  a packet to {code}: {resolved.outcome}{target}{chain} ({version})")
    if detail.history:
        typer.echo("history:")
        print_table(_unit_table(detail.history))


@registry_app.command("changes")
def changes(
    since: Annotated[int, typer.Option(help="After this registry version.")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """The node's change log (over HTTP, with the profile), oldest first."""
    with node(profile) as axis:
        versions = axis.registry_changes(since, limit)
    if as_json:
        echo_json(versions)
        return
    table = Table("version", "effective (UTC)", "applied (UTC)", "by", "source", "changes",
                  "reason")  # fmt: skip
    for v in versions:
        count = v.change_set.get("changes")
        table.add_row(
            str(v.version), when(v.effective), when(v.applied_at), v.applied_by, v.source,
            str(len(count)) if isinstance(count, list) else "", v.reason,
        )  # fmt: skip
    print_table(table)
    typer.echo(f"{len(versions)} version(s)")


@registry_app.command("submit")
def submit(
    file: Annotated[
        Path,
        typer.Argument(help="A change set (JSON).", exists=True, dir_okay=False, readable=True),
    ],
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """Apply a change set on the node as the next version (the profile's client must be the
    registry authority); the node signs it into its snapshot and publishes it."""
    with node(profile) as axis:
        applied = axis.submit_change_set(file.read_bytes())
    if as_json:
        echo_json(applied)
        return
    typer.echo(f"version {applied.version} applied, effective {applied.effective.isoformat()}")
    for warning in applied.warnings:
        typer.echo(f"warning: {warning}", err=True)


@registry_app.command("snapshot")
def snapshot(
    output: Annotated[Path, typer.Option("--output", "-o", help="Write the snapshot here.")],
    profile: ProfileName = None,
) -> None:
    """Download the registry snapshot signed by the authority (what a follower loads; load it
    with `axis registry import FILE`)."""
    with node(profile) as axis:
        data = axis.registry_snapshot()
    output.write_bytes(data)
    typer.echo(f"snapshot: {len(data):,} bytes written to {output}")
