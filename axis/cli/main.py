"""Entry point of the `axis` command: every command group, loaded only when it is the one run.

Importing all command modules up front loads FastAPI, Alembic, SQLAlchemy and the Kafka client
for every command (1.5 s before `axis --help` printed a line). Here the top level knows each
command by name and one-paragraph summary (`COMMANDS`), so `axis --help` imports none of them,
and `axis envelope validate` imports `axis.cli.envelope` alone. A test checks that each summary
is the first paragraph of its command's own help, so the two cannot drift apart.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click
import typer
import typer.main
from typer.core import TyperGroup


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """A command of `axis`: where it is defined and what `axis --help` says of it."""

    name: str
    module: str
    attribute: str
    summary: str
    also: tuple[str, ...] = ()
    """Modules that add commands to this group when imported."""

    def load(self) -> click.Command:
        for extra in self.also:
            importlib.import_module(extra)
        target = getattr(importlib.import_module(self.module), self.attribute)
        command: click.Command
        if isinstance(target, typer.Typer):
            command = typer.main.get_group(target)
        else:  # a function: one Typer command
            single = typer.Typer(pretty_exceptions_enable=False)
            single.command(self.name)(target)
            command = typer.main.get_command(single)
        command.name = self.name
        return command


COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand("serve", "axis.cli.serve", "serve", "Run the node: the HTTP API and dashboard, the delivery, retry and tracking workers, and the registry's sync."),  # noqa: E501
    LazyCommand("demo", "axis.cli.demo", "demo", "Run a document through this node end to end (starts the local broker when needed)."),  # noqa: E501
    LazyCommand("sign", "axis.cli.signing", "sign", "Sign a packet (enveloped XML-DSig at the end of edXMLHeader, exclusive c14n, RSA-SHA256 or ECDSA-SHA256 by the key) and write it to OUTPUT."),  # noqa: E501
    LazyCommand("verify", "axis.cli.signing", "verify", "Verify packets: exit 0 and the signer's code and subject when every one is valid, exit 1 with the error code and reason for each one that is not."),  # noqa: E501
    LazyCommand("send", "axis.cli.remote", "send", "Send signed packets as the profile's client; for each, per recipient: routed, redirected (to whom) or rejected (why). Exit status 1 when the node refuses a packet or a recipient is rejected."),  # noqa: E501
    LazyCommand("inbox", "axis.cli.remote", "inbox", "The packets waiting for the client's codes, oldest first."),  # noqa: E501
    LazyCommand("fetch", "axis.cli.remote", "fetch", "The packet's bytes exactly as the sender signed them."),  # noqa: E501
    LazyCommand("ack", "axis.cli.remote", "ack", "Acknowledge a packet: processing, then done or fail (final)."),  # noqa: E501
    LazyCommand("track", "axis.cli.remote", "track", "Where a document is, for each recipient, with its timeline (what the profile's client may see: a sender every recipient, a recipient its own delivery, an operator all)."),  # noqa: E501
    LazyCommand("stuck", "axis.cli.tracking", "stuck", "Deliveries that stopped moving: not finished and unchanged for `--hours`."),  # noqa: E501
    LazyCommand("doctor", "axis.cli.doctor", "doctor", "Check the node's surroundings; exit 1 when anything is wrong."),  # noqa: E501
    LazyCommand("broker", "axis.cli.broker", "app", "Run a real Apache Kafka broker (KRaft) on this machine."),  # noqa: E501
    LazyCommand("envelope", "axis.cli.envelope", "app", "Validate and inspect edXML packets."),
    LazyCommand("db", "axis.cli.db", "app", "The node's database schema (Alembic migrations)."),
    LazyCommand("bus", "axis.cli.bus", "bus_app", "The bus's binding to one database (see README: One bus, one database)."),  # noqa: E501
    LazyCommand("keys", "axis.cli.keys", "keys_app", "Keys and certificates: development PKIs, and the keys the node signs with for agencies (node-signs)."),  # noqa: E501
    LazyCommand("trust", "axis.cli.trust", "trust_app", "The trust store: certificate authorities, which certificate may sign for which organization code, revocations."),  # noqa: E501
    LazyCommand("registry", "axis.cli.registry", "registry_app", "The registry of organization codes: import, preview and apply change sets, resolve, export, status, and sync with the registry authority.", also=("axis.cli.remote_registry",)),  # noqa: E501
    LazyCommand("dlq", "axis.cli.operators", "dlq_app", "Dead letters: list, inspect, replay (over HTTP, operator)."),  # noqa: E501
    LazyCommand("destinations", "axis.cli.operators", "destinations_app", "Destinations: pause and resume deliveries to an agency (over HTTP, operator)."),  # noqa: E501
    LazyCommand("clients", "axis.cli.remote_clients", "clients_app", "API clients: add, list, disable, rotate a secret (over HTTP, operator; or `add --local` on the node's machine)."),  # noqa: E501
    LazyCommand("profile", "axis.cli.profiles", "profile_app", "Profiles: the node URL and client secret the HTTP commands use."),  # noqa: E501
    LazyCommand("evidence", "axis.cli.tracking", "evidence_app", "The tamper-evident log: verify it, prove a message."),  # noqa: E501
    LazyCommand("worker", "axis.cli.serve", "worker_app", "Run one kind of worker (start more processes for more throughput)."),  # noqa: E501
)  # fmt: skip


class LazyCommands(TyperGroup):
    """A command group whose commands are imported when one of them runs; its help lists them
    from their summaries without importing any."""

    def __init__(self, *, lazy: Sequence[LazyCommand], **attrs: Any) -> None:
        super().__init__(**attrs)
        self._lazy = {command.name: command for command in lazy}
        self._loaded: dict[str, click.Command] = {}
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self._lazy)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = self._lazy.get(cmd_name)
        if lazy is None:
            return None
        if self._listing:  # the help's list of commands: the summary is all it shows
            return click.Command(lazy.name, help=lazy.summary, short_help=lazy.summary)
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = lazy.load()
        return self._loaded[cmd_name]

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """An unknown command is answered with the names closest to it."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            close = difflib.get_close_matches(args[0], list(self._lazy)) if args else []
            if not close:
                raise
            named = ", ".join(repr(name) for name in close)
            said = error.format_message().rstrip(".")
            raise click.UsageError(f"{said}. Did you mean {named}?", ctx) from None

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = LazyCommands(
    name="axis",
    lazy=COMMANDS,
    help="Axis node: routes signed edXML packets between agencies over Kafka.",
    no_args_is_help=True,
    # Click's plain help: rich's formatting costs 70 ms of imports, half of `axis --help`.
    rich_markup_mode=None,
)


if __name__ == "__main__":  # pragma: no cover
    app()
