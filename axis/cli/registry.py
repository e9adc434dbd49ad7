"""`axis registry ...`: the organization-code registry of this node (import, apply, resolve,
export, status) and its sync with the registry authority over Kafka."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from axis.cli.options import Actor, AsJson, default_actor, parse_optional_time
from axis.devtools.dataset2025 import build_dataset, write_dataset
from axis.logs import configure_logging
from axis.migrations.runner import NotMigrated, require_current
from axis.node.parts import (
    database,
    heartbeat_follower,
    heartbeat_publisher,
    registry_authorities,
    registry_follower,
    registry_publisher,
    topic_layout,
)
from axis.services import registry_preview
from axis.services.registry_changes import Applied, apply_change_set, refuse_unless_authority
from axis.services.registry_preview import Preview
from axis.settings import Settings, load_settings
from axis.store.db import session_factory
from orgcodes.changes import parse_change_set
from orgcodes.directory import diff_directory, export_records, read_directory, write_csv, write_json
from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.service import RegistryService
from orgcodes.snapshot import read_snapshot, write_snapshot
from routing.together import run_together
from routing.topics import ensure_topics
from signing.certificates import load_certificate, load_private_key

registry_app = typer.Typer(
    help="The registry of organization codes: import, preview and apply change sets, resolve, "
    "export, status, and sync with the registry authority.",
    no_args_is_help=True,
)

T = TypeVar("T")


def _run(work: Callable[[RegistryService, Settings], Awaitable[T]], *, load: bool = True) -> T:
    """Run `work` on the node's registry (read into memory unless `load` is False); a refusal
    ends the command with `CODE: sentence` on stderr and exit status 1."""
    settings = load_settings()
    configure_logging(fmt=settings.effective_log_format, level=settings.log_level)  # to stderr

    async def _main() -> T:
        async with database(settings) as engine:
            await require_current(engine, "the registry")
            service = RegistryService(session_factory(engine))
            if load:
                await service.load()
            return await work(service, settings)

    try:
        return asyncio.run(_main())
    except RegistryError as error:
        typer.echo(f"{error.code.value}: {error.message}", err=True)
        raise typer.Exit(1) from error
    except NotMigrated as error:
        typer.echo(f"DATABASE_NOT_MIGRATED: {error}", err=True)
        raise typer.Exit(1) from error


def _applied(applied: Applied, extra: dict[str, Any], as_json: bool) -> None:
    record, warnings = applied.record, applied.warnings
    if as_json:
        typer.echo(
            json.dumps({**record.as_json(), **extra, "warnings": warnings}, ensure_ascii=False)
        )
    else:
        typer.echo(
            f"applied as registry version {record.version}, effective "
            f"{record.effective.isoformat()}"
        )
        for key, value in extra.items():
            typer.echo(f"  {key}: {value}")
    for warning in warnings:
        typer.echo(warning, err=True)


@registry_app.command("apply")
def apply(
    changeset: Annotated[
        Path,
        typer.Argument(
            metavar="CHANGESET.json", exists=True, dir_okay=False, help="A change set (JSON)."
        ),
    ],
    actor: Actor = "",
    as_json: AsJson = False,
) -> None:
    """Apply a change set as the next registry version (all of it, or nothing)."""

    async def work(service: RegistryService, settings: Settings) -> None:
        refuse_unless_authority(settings)
        change_set = parse_change_set(changeset.read_bytes())
        done = await apply_change_set(service, settings, change_set, actor=actor or default_actor())
        _applied(done, {"changes": len(change_set.changes)}, as_json)

    _run(work)


@registry_app.command("preview")
def preview(
    changeset: Annotated[
        Path,
        typer.Argument(
            metavar="CHANGESET.json", exists=True, dir_okay=False, help="A change set (JSON)."
        ),
    ],
    as_json: AsJson = False,
) -> None:
    """What a change set will do on this node, without applying it: each code it stops, where
    its documents go, and what the node holds for it (deliveries, inbox items, clients,
    certificates)."""

    async def work(service: RegistryService, settings: Settings) -> Preview:
        return await registry_preview.preview(
            service, service.sessions, parse_change_set(changeset.read_bytes())
        )

    found = _run(work)
    if as_json:
        typer.echo(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
        return
    print_preview(Console(), found)


def print_preview(console: Console, found: Preview) -> None:
    impact = found.impact
    totals = found.totals()
    console.print(
        f"version {impact.version}, effective {impact.effective.isoformat()}: "
        f"{totals['codes_ceasing']} code(s) stop receiving ({totals['redirected']} redirected, "
        f"{totals['ambiguous']} split, {totals['closed']} closed); other changes: "
        + (", ".join(f"{n} {op}" for op, n in sorted(impact.other_changes.items())) or "none")
    )
    table = Table(box=None, padding=(0, 2))
    for name in ("code", "name", "change", "documents go to", "on the way", "ended", "unfetched",
                 "clients", "certificates"):  # fmt: skip
        table.add_column(name, no_wrap=name != "name")
    for c in found.codes:
        unit = c.unit
        goes = unit.successor or (", ".join(unit.candidates) + " (choose)" if unit.candidates
                                  else "nowhere")  # fmt: skip
        table.add_row(
            unit.code, unit.name, unit.change, goes, str(c.on_the_way), str(c.ended),
            str(c.unfetched), str(len(c.clients)), str(len(c.certificates)),
        )  # fmt: skip
    console.print(table)
    for c in found.codes:
        for sentence in c.what_happens():
            console.print(f"  {c.unit.code}: {sentence}")
    console.print(
        f"deliveries re-routed: {totals['deliveries_rerouted']}, refused with a 02: "
        f"{totals['deliveries_refused']}; unfetched inbox items: {totals['inbox_unfetched']}; "
        f"fetched, not acknowledged: {totals['inbox_fetched_unacknowledged']}"
    )


def _is_snapshot(path: Path) -> bool:
    with path.open("rb") as stream:
        return b'"manifest"' in stream.read(64)


@registry_app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="A directory export (JSON or CSV) or a signed snapshot.",
        ),
    ],
    format_: Annotated[
        str | None, typer.Option("--format", help="json, csv or snapshot (default: from the file)")
    ] = None,
    effective: Annotated[
        str | None,
        typer.Option(help="When a directory import takes effect (ISO-8601; default now)."),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (kept with the version).")] = "",
    actor: Actor = "",
    as_json: AsJson = False,
) -> None:
    """Import the national directory (creates, renames, moves; deleted rows close units) or
    load a signed snapshot (verified against AXIS_REGISTRY_AUTHORITY_CERT)."""
    if format_ not in (None, "json", "csv", "snapshot"):
        raise typer.BadParameter("--format must be json, csv or snapshot")
    when = parse_optional_time(effective, "--effective") or datetime.now(UTC)

    async def snapshot(service: RegistryService, settings: Settings) -> None:
        registry, info = read_snapshot(
            file.read_bytes(),
            authorities=registry_authorities(settings),
            at=datetime.now(UTC),
            current_version=service.version,
        )
        await service.replace(registry, source="snapshot")
        reply = {
            "version": info.version,
            "units": info.unit_count,
            "created_at": info.created_at.isoformat(),
        }
        typer.echo(
            json.dumps(reply)
            if as_json
            else f"loaded the signed snapshot of registry version {info.version} "
            f"({info.unit_count:,} units, made {info.created_at.isoformat()})"
        )

    async def directory(service: RegistryService, settings: Settings) -> None:
        refuse_unless_authority(settings)
        with Progress(
            TextColumn("reading {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            transient=True,
            disable=as_json,
            console=Console(stderr=True),
        ) as progress:
            task = progress.add_task(file.name, total=None)
            records = read_directory(
                file, format_, on_record=lambda n: progress.update(task, completed=n)
            )
        diff = diff_directory(
            records, service.registry, effective=when, reason=reason or f"import of {file.name}"
        )
        counts = {
            "records": len(records),
            "created": diff.created,
            "renamed": diff.renamed,
            "moved": diff.moved,
            "updated": diff.updated,
            "closed": diff.closed,
            "unchanged": diff.unchanged,
        }
        for note in diff.notes:
            typer.echo(f"note: {note}", err=True)
        if diff.change_set is None:
            typer.echo(
                json.dumps({"version": service.version, **counts})
                if as_json
                else f"nothing to change: the registry (version {service.version}) already "
                f"says what the {len(records):,} records say"
            )
            return
        actor_ = actor or default_actor()
        _applied(
            await apply_change_set(service, settings, diff.change_set, actor=actor_),
            counts,
            as_json,
        )

    is_snapshot = format_ == "snapshot" or (format_ is None and _is_snapshot(file))
    _run(snapshot if is_snapshot else directory)


@registry_app.command("resolve")
def resolve(
    code: Annotated[str, typer.Argument(help="An organization code (either format).")],
    at: Annotated[
        str | None,
        typer.Option(
            help="Resolve as the registry stood then (ISO-8601 with a zone; default now)."
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Where CODE leads: active, redirected (and the chain), ambiguous (the candidates),
    closed or unknown, and the registry version that answered."""
    when = parse_optional_time(at, "--at")

    async def work(service: RegistryService, _: Settings) -> None:
        answer = service.resolve(code, when)
        if as_json:
            typer.echo(json.dumps(answer.as_json(), ensure_ascii=False))
            return
        typer.echo(
            f"{answer.input}: {answer.outcome.value}"
            + (f" -> {answer.target}" if answer.target else "")
        )
        if answer.chain:
            typer.echo(f"  chain: {' -> '.join(answer.chain)}")
        if answer.candidates:
            typer.echo(f"  candidates: {', '.join(answer.candidates)}")
        if answer.state is not None and answer.target:
            typer.echo(f"  {answer.state.name}")
        if answer.reason:
            typer.echo(f"  {answer.reason}")
        typer.echo(f"  registry version {answer.version}")

    _run(work)


@registry_app.command("export")
def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write.")],
    signed: Annotated[
        bool,
        typer.Option(
            "--signed", help="A signed snapshot (needs AXIS_REGISTRY_KEY and AXIS_REGISTRY_CERT)."
        ),
    ] = False,
    format_: Annotated[
        str, typer.Option("--format", help="json or csv (directory export).")
    ] = "json",
    at: Annotated[str | None, typer.Option(help="Export the units as they stood then.")] = None,
) -> None:
    """Export the registry: the national directory format (JSON or CSV), or a signed snapshot."""
    if format_ not in ("json", "csv"):
        raise typer.BadParameter("--format must be json or csv")
    when = parse_optional_time(at, "--at")

    async def work(service: RegistryService, settings: Settings) -> None:
        if signed:
            if settings.registry_key is None or settings.registry_cert is None:
                raise RegistryError(
                    RegistryCode.NO_AUTHORITY,
                    "a signed snapshot needs the registry authority's key: set "
                    "AXIS_REGISTRY_KEY and AXIS_REGISTRY_CERT",
                )
            data = write_snapshot(
                service.registry,
                key=load_private_key(settings.registry_key),
                certificate=load_certificate(settings.registry_cert),
                created_at=datetime.now(UTC),
            )
            output.write_bytes(data)
            typer.echo(
                f"wrote the signed snapshot of registry version {service.version} "
                f"({len(service.registry):,} units) to {output}"
            )
            return
        records = export_records(service.registry, when)
        with output.open("wb") as stream:
            (write_csv if format_ == "csv" else write_json)(records, stream)
        typer.echo(f"wrote {len(records):,} units (registry version {service.version}) to {output}")

    _run(work)


@registry_app.command("status")
def status(as_json: AsJson = False) -> None:
    """The registry version this node holds, how old it is, and units by status."""

    async def work(service: RegistryService, settings: Settings) -> None:
        report = await service.status(settings.registry_max_age_value, settings.heartbeat_limits)
        if as_json:
            typer.echo(json.dumps({**report.as_json(), "mode": settings.registry_mode}))
            return
        table = Table(show_header=False, box=None)
        table.add_row("registry version", str(report.version))
        table.add_row("mode", settings.registry_mode)
        table.add_row(
            "last change effective", report.effective.isoformat() if report.effective else "-"
        )
        age = "never synced" if report.age is None else f"{report.age.total_seconds():.0f} s"
        table.add_row(
            "age",
            age
            + (f" (DEGRADED: older than {settings.registry_max_age})" if report.degraded else ""),
        )
        for name, count in report.counts.items():
            table.add_row(f"units {name}", f"{count:,}")
        Console().print(table)

    _run(work, load=False)


@registry_app.command("publish")
def publish() -> None:
    """Authority: publish the applied versions that are not yet on the registry topic."""

    async def work(service: RegistryService, settings: Settings) -> None:
        if settings.registry_mode != "authority":
            raise RegistryError(
                RegistryCode.NOT_AUTHORITY,
                "only the registry authority's node publishes change sets "
                "(AXIS_REGISTRY_MODE=authority)",
            )
        spec = topic_layout(settings).registry
        await ensure_topics(settings.kafka_bootstrap, (spec,))
        versions = await registry_publisher(settings, service).publish_pending()
        typer.echo(
            f"published versions {', '.join(map(str, versions))}"
            if versions
            else "nothing to publish: every version is on the topic"
        )

    _run(work, load=False)


def _until_interrupted() -> asyncio.Event:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    return stopping


@registry_app.command("heartbeat")
def heartbeat() -> None:
    """Authority: publish the signed heartbeat every AXIS_REGISTRY_HEARTBEAT_SECONDS until
    interrupted (Ctrl-C); `axis serve` does it on the authority's node."""

    async def work(service: RegistryService, settings: Settings) -> None:
        refuse_unless_authority(settings)
        spec = topic_layout(settings).heartbeat
        await ensure_topics(settings.kafka_bootstrap, (spec,))
        stopping = _until_interrupted()
        typer.echo(
            f"beating on {spec.name} every {settings.registry_heartbeat_seconds} s", err=True
        )
        await heartbeat_publisher(settings, service).run(
            stopping, settings.registry_heartbeat_seconds
        )

    _run(work)


@registry_app.command("follow")
def follow() -> None:
    """Follower: apply every version the authority publishes, and check its heartbeats, until
    interrupted (Ctrl-C)."""

    async def work(service: RegistryService, settings: Settings) -> None:
        if settings.registry_mode == "authority":
            raise RegistryError(
                RegistryCode.NOT_AUTHORITY,
                "the authority's node is the source of the registry; it "
                "publishes (axis registry publish) and follows nobody",
            )
        layout = topic_layout(settings)
        await ensure_topics(settings.kafka_bootstrap, (layout.registry, layout.heartbeat))
        stopping = _until_interrupted()
        typer.echo(
            f"following {layout.registry.name} from registry version {service.version}", err=True
        )
        await run_together(
            {
                "versions": registry_follower(settings, service).run(stopping),
                "heartbeats": heartbeat_follower(settings, service).run(stopping),
            },
            stopping,
        )

    _run(work, load=False)


@registry_app.command("dataset-2025")
def dataset_2025(
    directory: Annotated[Path, typer.Argument(help="Where to write the change sets.")],
    extra_units: Annotated[
        int,
        typer.Option(
            help="Level-4 units to add (to reach the size of the national directory, ~105,000)."
        ),
    ] = 0,
) -> None:
    """Write the generated 2025 dataset: baseline.json (before) and 2025-07-01.json (the
    rearrangement), both change sets for `axis registry apply`, and facts.json."""
    for path in write_dataset(directory, build_dataset(extra_units=extra_units)):
        typer.echo(str(path))
