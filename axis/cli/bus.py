"""`axis bus show|rebind`: which database the bus (the topic prefix on the broker) belongs to,
and moving it to this node's database on purpose (audited)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer

from axis.cli.options import Actor, AsJson, default_actor
from axis.migrations.runner import NotMigrated, require_current
from axis.node.bus_binding import BindingError, BusState, bus_state, rebind
from axis.node.parts import database
from axis.settings import Settings, load_settings

bus_app = typer.Typer(
    help="The bus's binding to one database (see README: One bus, one database).",
    no_args_is_help=True,
)

T = TypeVar("T")


def _run(work: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(work(load_settings()))
    except BindingError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    except NotMigrated as error:
        typer.echo(f"DATABASE_NOT_MIGRATED: {error}", err=True)
        raise typer.Exit(1) from error


@bus_app.command("show")
def show(as_json: AsJson = False) -> None:
    """The database the bus is bound to, and this node's database."""

    async def _show(settings: Settings) -> BusState:
        async with database(settings) as engine:
            await require_current(engine, "the bus binding")
            return await bus_state(settings, engine)

    state = _run(_show)
    binding = state.binding
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "bus": state.bus,
                    "database_id": state.database_id,
                    "database": state.database,
                    "bound_to": binding.database_id if binding else None,
                    "bound_to_database": binding.record.database if binding else None,
                    "bound_here": state.bound_here,
                }
            )
        )
        return
    typer.echo(f"bus: {state.bus}")
    typer.echo(f"this database: {state.database_id} ({state.database})")
    typer.echo(f"bound to: {binding.describe() if binding else 'no database yet'}")


@bus_app.command("rebind")
def rebind_command(
    previous: Annotated[
        str,
        typer.Option(
            "--from", help="The database id the bus is bound to now (as `axis bus show` says)."
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit log.")],
    actor: Actor = "",
) -> None:
    """Move the bus to this node's database. Deliveries already landed in the old database stay
    there: stop every node of the old database first."""

    async def _rebind(settings: Settings) -> str:
        async with database(settings) as engine:
            await require_current(engine, "the bus binding")
            binding = await rebind(
                settings, engine, previous=previous, actor=actor or default_actor(), reason=reason
            )
            return binding.describe()

    typer.echo(f"the bus is bound to {_run(_rebind)}")
