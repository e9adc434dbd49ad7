"""`axis demo`: a signed document from one agency to two others, through a local node, with
statuses back, and each recipient's timeline printed (see axis.demo)."""

from __future__ import annotations

import asyncio
import logging
import os

import typer
from rich.console import Console

from axis.broker.assembly import AssemblyError, ensure_release
from axis.broker.cluster import ClusterError
from axis.broker.probe import ProbeError, probe
from axis.cli.broker import cluster_for
from axis.cli.tracking import print_reports
from axis.devtools.demo import DemoError, run_demo
from axis.logs import configure_logging
from axis.node.bus_binding import BindingError
from axis.node.parts import database
from axis.services.tracking import find_reports
from axis.settings import Settings, load_settings, split_host_port
from axis.store.db import session_factory

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def demo() -> None:
    """Run a document through this node end to end (starts the local broker when needed)."""
    settings = load_settings()
    level = settings.log_level if "AXIS_LOG_LEVEL" in os.environ else "WARNING"
    configure_logging(fmt=settings.effective_log_format, level=level)
    if "AXIS_LOG_LEVEL" not in os.environ:
        # A broker started a moment ago answers "coordinator not available" for a few seconds;
        # the Kafka client retries and says so loudly. The demo reports its own failures.
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    console = Console()
    try:
        asyncio.run(_ensure_broker(settings, console))
        run = asyncio.run(run_demo(settings, lambda line: console.print(line, highlight=False)))
        reports = asyncio.run(_reports(settings, str(run.result.message_id)))
    except (DemoError, BindingError) as error:
        typer.echo(f"{error.code}: {error.message}", err=True)
        raise typer.Exit(1) from error
    console.print()
    print_reports(console, reports)
    console.print(
        "\n[green]demo finished[/green]: see it again with "
        f"axis track --local {run.result.message_id}"
    )


async def _ensure_broker(settings: Settings, console: Console) -> None:
    """Use the broker at AXIS_KAFKA_BOOTSTRAP; start the project's local one when it is this
    machine's and not running."""
    host, port = split_host_port(settings.bootstrap_servers[0], what="AXIS_KAFKA_BOOTSTRAP")
    try:
        await probe(host, port, timeout=3.0)
        return
    except ProbeError as error:
        if host not in LOCAL_HOSTS:
            raise DemoError(
                "DEMO_BROKER_UNREACHABLE", f"no Kafka broker answers: {error}"
            ) from error
    cluster = cluster_for(settings, port=None, nodes=1, root=None)
    try:
        with console.status(f"starting the local Kafka broker on {host}:{port}"):
            release = await asyncio.to_thread(
                ensure_release, settings.cache_dir, settings.kafka_version
            )
            await cluster.start(release)
    except (AssemblyError, ClusterError) as error:
        raise DemoError("DEMO_BROKER_NOT_STARTED", str(error)) from error
    console.print(
        f"broker: started Kafka {release.version} at {host}:{port} (axis broker stop stops it)"
    )


async def _reports(settings: Settings, message_id: str) -> list[dict[str, object]]:
    async with database(settings) as engine, session_factory(engine)() as session:
        return await find_reports(session, message_id)
