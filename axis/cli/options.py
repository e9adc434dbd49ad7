"""What the commands share: `--actor` (who, for the audit log), `--json`, and times typed on the
command line (ISO-8601 with a time zone, or a clear refusal)."""

from __future__ import annotations

import getpass
import socket
from datetime import datetime
from typing import Annotated

import typer

Actor = Annotated[
    str, typer.Option("--actor", help="Who does this, for the audit log (default user@host).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def default_actor() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def parse_time(text: str, option: str) -> datetime:
    """`text` as an aware datetime; `typer.BadParameter` naming `option` otherwise."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"{option} must be an ISO-8601 time, got {text!r}") from error
    if value.tzinfo is None:
        example = text if "T" in text or " " in text else f"{text}T00:00:00"
        raise typer.BadParameter(f"{option} needs a time zone, e.g. {example}+07:00")
    return value


def parse_optional_time(text: str | None, option: str) -> datetime | None:
    return None if text is None else parse_time(text, option)
