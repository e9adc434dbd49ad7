"""`axis broker start|stop|status`: the project's own real Kafka broker on this machine."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from axis.broker.assembly import AssemblyError, ensure_release
from axis.broker.cluster import ClusterError, LocalCluster
from axis.broker.layout import ClusterLayout
from axis.settings import Settings, load_settings, split_host_port

app = typer.Typer(
    help="Run a real Apache Kafka broker (KRaft) on this machine.", no_args_is_help=True
)
_console = Console(stderr=True)

PortOption = Annotated[
    int | None,
    typer.Option(
        help="Client port of node 1 (node i uses port+2(i-1), its controller the next "
        "port). Default: the port of AXIS_KAFKA_BOOTSTRAP."
    ),
]
NodesOption = Annotated[
    int, typer.Option(min=1, max=9, help="Number of nodes: 1, or 3 for a replicated cluster.")
]
DirOption = Annotated[
    Path | None, typer.Option(help="Cluster directory. Default: <AXIS_DATA_DIR>/kafka.")
]


def cluster_for(
    settings: Settings, *, port: int | None, nodes: int, root: Path | None
) -> LocalCluster:
    host, default_port = split_host_port(settings.bootstrap_servers[0], what="AXIS_KAFKA_BOOTSTRAP")
    return LocalCluster(
        ClusterLayout(
            root=(root or settings.data_dir / "kafka").resolve(),
            host=host,
            port=port or default_port,
            node_count=nodes,
        )
    )


@app.command()
def assemble() -> None:
    """Fetch Apache Kafka's artifacts with Maven into the cache (done by `start` when needed)."""
    settings = load_settings()
    try:
        with _console.status(f"Assembling Apache Kafka {settings.kafka_version}"):
            release = ensure_release(settings.cache_dir, settings.kafka_version)
    except AssemblyError as exc:
        _console.print(f"[red]not assembled:[/red] {exc}")
        raise typer.Exit(1) from exc
    _console.print(f"Apache Kafka {release.version} is assembled in {release.home}")


@app.command()
def start(
    port: PortOption = None,
    nodes: NodesOption = 1,
    directory: DirOption = None,
    heap: Annotated[str, typer.Option(help="JVM heap of each node.")] = "1g",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the cluster.")] = 120,
) -> None:
    """Assemble Kafka (first time only), format its storage, start it and wait until it serves."""
    settings = load_settings()
    cluster = cluster_for(settings, port=port, nodes=nodes, root=directory)
    try:
        with _console.status(f"Assembling Apache Kafka {settings.kafka_version} (first run only)"):
            release = ensure_release(settings.cache_dir, settings.kafka_version)
        with _console.status(f"Starting {nodes} node(s) on {cluster.layout.bootstrap}"):
            asyncio.run(cluster.start(release, heap=heap, timeout=timeout))
    except (AssemblyError, ClusterError) as exc:
        _console.print(f"[red]broker not started:[/red] {exc}")
        raise typer.Exit(1) from exc
    _console.print(
        f"[green]Kafka {release.version} is up[/green] at {cluster.layout.bootstrap} "
        f"(data in {cluster.layout.root})"
    )


@app.command()
def stop(
    port: PortOption = None,
    nodes: NodesOption = 1,
    directory: DirOption = None,
    purge: Annotated[bool, typer.Option(help="Also delete the cluster's data.")] = False,
) -> None:
    """Stop the local broker(s) cleanly (controlled shutdown)."""
    cluster = cluster_for(load_settings(), port=port, nodes=nodes, root=directory)
    stopped = cluster.stop(purge=purge)
    if stopped:
        _console.print(f"stopped node(s) {', '.join(map(str, stopped))}")
    else:
        _console.print("no broker was running")


@app.command()
def status(
    port: PortOption = None,
    nodes: NodesOption = 1,
    directory: DirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show each node: process, port, Kafka release line. Exit 1 when a node is not serving."""
    cluster = cluster_for(load_settings(), port=port, nodes=nodes, root=directory)
    statuses = asyncio.run(cluster.status())
    if as_json:
        typer.echo(json.dumps([
            {"node_id": s.node.node_id, "bootstrap": s.node.bootstrap, "pid": s.pid,
             "serving": s.answering, "release": s.version.release if s.version else None,
             "problem": s.problem}
            for s in statuses
        ], indent=2))  # fmt: skip
    else:
        table = Table("node", "address", "pid", "release", "state")
        for s in statuses:
            table.add_row(
                str(s.node.node_id), s.node.bootstrap, str(s.pid or "-"),
                s.version.release if s.version else "-",
                "[green]serving[/green]" if s.answering else f"[red]{s.problem}[/red]",
            )  # fmt: skip
        Console().print(table)
    if not all(s.answering for s in statuses):
        raise typer.Exit(1)
