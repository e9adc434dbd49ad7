"""The `axis` command loads a command group only when it runs (`axis/cli/main.py`): its help
lists every command from summaries that must say what the commands themselves say, and the light
commands never load the node's heavy libraries."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap

import click
import pytest

from axis.cli.main import COMMANDS, LazyCommand, app

HEAVY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "aiokafka", "httpx", "aiohttp")


def first_paragraph(command: click.Command) -> str:
    return " ".join(inspect.cleandoc(command.help or "").split("\n\n")[0].split())


@pytest.mark.parametrize("lazy", COMMANDS, ids=lambda c: c.name)
def test_each_summary_is_the_first_paragraph_of_its_commands_own_help(lazy: LazyCommand) -> None:
    loaded = lazy.load()
    assert loaded.name == lazy.name
    assert first_paragraph(loaded) == lazy.summary


def loaded_after(*args: str) -> list[str]:
    """The heavy libraries imported by a fresh interpreter that runs `axis ARGS`."""
    code = textwrap.dedent(
        f"""
        import sys
        from axis.cli.main import app
        try:
            app.main({list(args)!r}, prog_name="axis", standalone_mode=False)
        except SystemExit:
            pass
        print(",".join(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return [name for name in last.split(",") if name in HEAVY]


@pytest.mark.parametrize(
    "args",
    [("--help",), ("envelope", "--help"), ("sign", "--help"), ("verify", "--help")],
    ids=" ".join,
)
def test_the_light_commands_load_no_web_database_or_kafka_library(args: tuple[str, ...]) -> None:
    assert loaded_after(*args) == []


def test_a_node_command_still_loads_what_it_needs() -> None:
    # The check above can fail: `serve` imports the HTTP app, so the same probe sees FastAPI.
    assert "fastapi" in loaded_after("serve", "--help")


def test_an_unknown_command_is_answered_with_the_closest_names() -> None:
    with pytest.raises(click.UsageError) as refused:
        app.main(["enevlope"], prog_name="axis", standalone_mode=False)
    assert "Did you mean 'envelope'?" in refused.value.format_message()
