"""`axis doctor`: checks Java, the broker, the database and the configuration, and what to do."""

from __future__ import annotations

import asyncio

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from axis.node.checks import Check, run_all
from axis.settings import load_settings


def doctor() -> None:
    """Check the node's surroundings; exit 1 when anything is wrong."""
    try:
        settings = load_settings()
    except (ValidationError, FileNotFoundError, ValueError) as exc:
        checks = [Check("configuration", False, str(exc).splitlines()[0] if str(exc) else repr(exc),
                        "fix the AXIS_* variables or the TOML file (see README)")]  # fmt: skip
        details = str(exc)
    else:
        checks = [
            Check("configuration", True,
                  f"env={settings.env} data_dir={settings.data_dir} "
                  f"topic_prefix={settings.topic_prefix!r} listen={settings.listen}"),
            *asyncio.run(run_all(settings)),
        ]  # fmt: skip
        details = ""
    table = Table("check", "state", "detail", "what to do", show_lines=False)
    for check in checks:
        table.add_row(
            check.name,
            "[green]ok[/green]" if check.ok else "[red]FAIL[/red]",
            check.detail,
            check.fix,
        )
    console = Console()
    console.print(table)
    if details:
        console.print(details)
    if not all(check.ok for check in checks):
        raise typer.Exit(1)
