"""`axis profile ...`: which node the HTTP commands talk to, and with which client's secret.

Profiles live in one TOML file, `~/.config/axis/profiles.toml` (or `AXIS_PROFILES_FILE`), one
table per profile:

    [default]
    url = "http://127.0.0.1:8080"
    secret = "axk_..."

The file holds secrets, so it is written with mode 0600 (its directory 0700), through a
temporary file renamed into place so a crash never leaves half a file. A command picks the
profile named by `--profile`, else `AXIS_PROFILE`, else `default`.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from axis.cli.options import AsJson

PROFILES_FILE_ENV = "AXIS_PROFILES_FILE"
PROFILE_ENV = "AXIS_PROFILE"
DEFAULT_PROFILE = "default"
PROFILE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

ProfileName = Annotated[
    str | None,
    typer.Option(
        "--profile",
        envvar=PROFILE_ENV,
        help="The profile (node URL and client secret) to use; see `axis profile list`.",
        show_envvar=True,
    ),
]

profile_app = typer.Typer(
    help="Profiles: the node URL and client secret the HTTP commands use.", no_args_is_help=True
)


class ProfileError(Exception):
    """A profile cannot be read or written; `code` names why, the message says what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    url: str
    secret: str

    def __repr__(self) -> str:  # never the secret, even in a traceback
        return f"Profile(name={self.name!r}, url={self.url!r})"


def profiles_file() -> Path:
    configured = os.environ.get(PROFILES_FILE_ENV)
    if configured:
        return Path(configured)
    return Path.home() / ".config" / "axis" / "profiles.toml"


def read_profiles(path: Path) -> dict[str, Profile]:
    """Every profile in `path` (none when the file does not exist)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ProfileError("PROFILES_FILE_INVALID", f"cannot read {path}: {error}") from None
    profiles: dict[str, Profile] = {}
    for name, table in data.items():
        url = table.get("url") if isinstance(table, dict) else None
        secret = table.get("secret") if isinstance(table, dict) else None
        if not isinstance(url, str) or not isinstance(secret, str):
            raise ProfileError(
                "PROFILES_FILE_INVALID",
                f"profile {name!r} in {path} needs `url` and `secret` strings; "
                f"run `axis profile add {name} --url URL` to write it again",
            )
        profiles[name] = Profile(name, url, secret)
    return profiles


def load_profile(name: str | None = None) -> Profile:
    """The profile `name` (else `AXIS_PROFILE`, else `default`); `PROFILE_MISSING` if absent."""
    chosen = name or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE
    path = profiles_file()
    profile = read_profiles(path).get(chosen)
    if profile is None:
        raise ProfileError(
            "PROFILE_MISSING",
            f"there is no profile {chosen!r} in {path}; run "
            f"`axis profile add {chosen} --url http://HOST:PORT` (it asks for the client's secret)",
        )
    return profile


def _toml_string(value: str) -> str:
    """`value` as a TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04X}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def _toml_key(name: str) -> str:
    return name if PROFILE_NAME.match(name) else _toml_string(name)


def render_profiles(profiles: dict[str, Profile]) -> str:
    tables = [
        f"[{_toml_key(p.name)}]\nurl = {_toml_string(p.url)}\nsecret = {_toml_string(p.secret)}\n"
        for p in sorted(profiles.values(), key=lambda p: p.name)
    ]
    return "# axis profiles: holds client secrets, keep it mode 0600\n\n" + "\n".join(tables)


def write_profiles(path: Path, profiles: dict[str, Profile]) -> None:
    """Replace `path` with `profiles`, readable by its owner only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".profiles-", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(render_profiles(profiles))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_profile(profile: Profile, path: Path | None = None) -> Path:
    """Add or replace one profile, keeping the others; the file written."""
    target = path or profiles_file()
    profiles = read_profiles(target)
    profiles[profile.name] = profile
    write_profiles(target, profiles)
    return target


def _fail(error: ProfileError) -> typer.Exit:
    typer.echo(f"{error.code}: {error.message}", err=True)
    return typer.Exit(1)


def _read_secret() -> str:
    """The secret from a hidden prompt on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        secret: str = typer.prompt("Client secret", hide_input=True)
    else:
        secret = sys.stdin.readline()
    return secret.strip()


@profile_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The profile's name (e.g. default, prod).")],
    url: Annotated[str, typer.Option(help="The node's API, e.g. http://127.0.0.1:8080.")],
) -> None:
    """Add (or replace) a profile. The secret is asked for without echo, or read from stdin
    (`axis profile add prod --url ... < secret.txt`): never on the command line, where other
    users and the shell history would see it."""
    if not PROFILE_NAME.match(name):
        raise typer.BadParameter("1-64 letters, digits, '_' or '-'", param_hint="NAME")
    if not re.match(r"^https?://[^\s/]+", url):
        raise typer.BadParameter("an http:// or https:// URL, e.g. http://127.0.0.1:8080")
    secret = _read_secret()
    if not secret:
        typer.echo("PROFILE_SECRET_MISSING: no secret given (type it, or pipe it in)", err=True)
        raise typer.Exit(1)
    try:
        path = save_profile(Profile(name, url.rstrip("/"), secret))
    except ProfileError as error:
        raise _fail(error) from None
    typer.echo(f"profile {name} -> {url.rstrip('/')} saved in {path}")


@profile_app.command("list")
def list_profiles(as_json: AsJson = False) -> None:
    """The profiles (names and URLs; never the secrets)."""
    path = profiles_file()
    try:
        profiles = read_profiles(path)
    except ProfileError as error:
        raise _fail(error) from None
    current = os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE
    rows = [
        {"name": p.name, "url": p.url, "current": p.name == current}
        for p in sorted(profiles.values(), key=lambda p: p.name)
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo(f"no profile in {path}; run `axis profile add default --url URL`")
        return
    table = Table("", "name", "url")
    for row in rows:
        table.add_row("*" if row["current"] else "", str(row["name"]), str(row["url"]))
    Console().print(table)


@profile_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The profile to forget.")]) -> None:
    """Forget a profile (its client is not disabled on the node: `axis clients disable`)."""
    path = profiles_file()
    try:
        profiles = read_profiles(path)
        if profiles.pop(name, None) is None:
            raise ProfileError("PROFILE_MISSING", f"there is no profile {name!r} in {path}")
        write_profiles(path, profiles)
    except ProfileError as error:
        raise _fail(error) from None
    typer.echo(f"profile {name} removed from {path}")
