"""`axis serve` and `axis worker deliver|retry|track`: run a node's workers until stopped."""

from __future__ import annotations

import asyncio
import signal

import typer

from axis.http.app import create_app
from axis.http.context import AppContext
from axis.http.server import serve_http
from axis.http.tls import TlsError, server_tls
from axis.keys.node_secret import NodeSecretError
from axis.keys.pkcs11 import TokenError
from axis.logs import configure_logging
from axis.migrations.runner import NotMigrated
from axis.node.assembly import open_node
from axis.node.bus_binding import BindingError
from axis.node.processes import (
    Supervisor,
    child_index,
    die_with_supervisor,
    process_count,
    serve_command,
)
from axis.settings import Settings, load_settings
from routing.topics import TopicSetupError
from routing.workers import WorkerRole
from signing.errors import SignatureError, TrustError

worker_app = typer.Typer(
    help="Run one kind of worker (start more processes for more throughput).",
    no_args_is_help=True,
)


def _run(roles: list[WorkerRole], *, sync_registry: bool, http: bool = False) -> None:
    settings = load_settings()
    configure_logging(fmt=settings.effective_log_format, level=settings.log_level)
    index = child_index()
    if index is not None:
        die_with_supervisor()
    try:
        if http:  # before anything starts: a TLS file that cannot serve stops the node at once
            server_tls(settings)
        count = process_count(settings.processes)
        if http and index is None and count > 1:
            asyncio.run(_preflight(settings))  # what every process checks, said once
            typer.echo(
                f"axis serve: {count} node processes on {settings.listen} (AXIS_PROCESSES); "
                "Ctrl-C stops",
                err=True,
            )
            raise typer.Exit(Supervisor(count, serve_command(), _say).run())
        sync = sync_registry and index in (None, 0)
        asyncio.run(
            _serve(settings, roles, sync_registry=sync, http=http, shared=index is not None)
        )
    except NodeSecretError as error:
        typer.echo(f"NODE_SECRET_UNUSABLE: {error}", err=True)
        raise typer.Exit(1) from error
    except (BindingError, TlsError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    except (TrustError, SignatureError) as error:  # the notice key or its certificate
        typer.echo(f"NOTICE_KEY_UNUSABLE: {error.code}: {error.message}", err=True)
        raise typer.Exit(1) from error
    except TokenError as error:
        typer.echo(f"{error.code}: {error.message}", err=True)
        raise typer.Exit(1) from error
    except (NotMigrated, TopicSetupError) as error:
        code = "DATABASE_NOT_MIGRATED" if isinstance(error, NotMigrated) else "TOPIC_SETUP"
        typer.echo(f"{code}: {error}", err=True)
        raise typer.Exit(1) from error


def _say(line: str) -> None:
    typer.echo(line, err=True)


async def _preflight(settings: Settings) -> None:
    """The checks a node makes when it starts (schema, topics, the bus's database, the keys),
    made once before the supervisor starts its processes."""
    async with open_node(settings):
        pass


async def _serve(
    settings: Settings,
    roles: list[WorkerRole],
    *,
    sync_registry: bool,
    http: bool,
    shared: bool = False,
) -> None:
    """Run the node; `shared`: one of a supervisor's processes, on a port they all bind."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with open_node(settings) as node:
        typer.echo(
            f"node {settings.node_id}: {', '.join(r.value for r in roles)} on "
            f"{settings.kafka_bootstrap} (topics {settings.topic_prefix}*), registry version "
            f"{node.registry.version} ({settings.registry_mode})"
            + (
                f"; HTTP on {'https' if settings.tls else 'http'}://{settings.listen}"
                if http
                else ""
            )
            + "; Ctrl-C stops",
            err=True,
        )
        if not http:
            await node.run(roles, stop, sync_registry=sync_registry)
            return
        app = create_app(AppContext(node))
        await node.run(
            roles,
            stop,
            sync_registry=sync_registry,
            also=[serve_http(app, settings, stop, shared=shared)],
        )


def serve() -> None:
    """Run the node: the HTTP API and dashboard, the delivery, retry and tracking workers, and
    the registry's sync."""
    _run(list(WorkerRole), sync_registry=True, http=True)


@worker_app.command("deliver")
def deliver() -> None:
    """Deliver: land pulled packets in inboxes, push to endpoints, route failures to retries."""
    _run([WorkerRole.DELIVER], sync_registry=False)


@worker_app.command("retry")
def retry() -> None:
    """Retry: hand each delivery waiting on a retry tier back when its delay has passed."""
    _run([WorkerRole.RETRY], sync_registry=False)


@worker_app.command("track")
def track() -> None:
    """Track: apply tracking events and dead letters to the tables, append the evidence log."""
    _run([WorkerRole.TRACK], sync_registry=False)
