"""`axis db upgrade|current`: the node's database schema."""

from __future__ import annotations

import asyncio

import typer

from axis.migrations.runner import current_revision, head_revision, upgrade
from axis.node.parts import database
from axis.settings import load_settings

app = typer.Typer(help="The node's database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Bring the database schema to the newest revision."""

    async def _run() -> str | None:
        async with database(load_settings()) as engine:
            await upgrade(engine)
            return await current_revision(engine)

    typer.echo(f"database at revision {asyncio.run(_run())}")


@app.command("current")
def current_command() -> None:
    """Print the database's revision and the newest one the code knows."""

    async def _run() -> str | None:
        async with database(load_settings()) as engine:
            return await current_revision(engine)

    typer.echo(f"current: {asyncio.run(_run()) or 'none'}  head: {head_revision()}")
