"""`axis envelope`: validate and inspect edXML packet files."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from envelopes import parsing
from envelopes.errors import EnvelopeError, Problem
from envelopes.model import DocumentPacket, Packet
from envelopes.parsing import read_packet_bytes, read_packet_file
from envelopes.policy import is_error

app = typer.Typer(help="Validate and inspect edXML packets.", no_args_is_help=True)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Packet files to validate.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Check packets; print `FILE: OK` or one `FILE: CODE LOCATION MESSAGE` line per error,
    and one `FILE: finding CODE LOCATION MESSAGE` line per finding (accepted, reported).

    Exits 0 when no file has an error (findings do not fail), 1 otherwise.
    """
    results = [_FileResult(path, _problems(path)) for path in files]
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=2))
    else:
        for result in results:
            for line in result.lines():
                typer.echo(line)
    if any(result.errors for result in results):
        raise typer.Exit(1)


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="Packet file to inspect.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show what a packet says: kind, DocumentId, sender, recipients, types, attachments."""
    try:
        packet = read_packet_file(file)
    except EnvelopeError as error:
        for line in _FileResult(file, list(error.problems)).lines():
            typer.echo(line, err=True)
        raise typer.Exit(1) from error
    summary = _PacketSummary.of(packet)
    if as_json:
        typer.echo(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
    else:
        _print_table(file, summary)


@dataclass(frozen=True, slots=True)
class _FileResult:
    path: Path
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if is_error(p.code)]

    @property
    def findings(self) -> list[Problem]:
        return [p for p in self.problems if not is_error(p.code)]

    def lines(self) -> list[str]:
        head = [] if self.errors else [f"{self.path}: OK"]
        return (
            head
            + [f"{self.path}: {p.code} {p.location} {p.message}" for p in self.errors]
            + [f"{self.path}: finding {p.code} {p.location} {p.message}" for p in self.findings]
        )

    def as_json(self) -> dict[str, object]:
        return {
            "file": str(self.path),
            "valid": not self.errors,
            "errors": [problem.as_dict() for problem in self.errors],
            "findings": [problem.as_dict() for problem in self.findings],
        }


def _problems(path: Path) -> list[Problem]:
    try:
        return parsing.validate(read_packet_bytes(path))
    except EnvelopeError as error:  # the file cannot be read
        return list(error.problems)


@dataclass(frozen=True, slots=True)
class _AttachmentSummary:
    content_id: str
    name: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class _PacketSummary:
    """What `inspect` shows, in the order it shows it (the JSON keys are the field names)."""

    kind: str
    document_id: str | None
    sender: str
    to: tuple[str, ...]
    business_type: str | None
    status_code: str | None
    response_for: tuple[str, ...]
    attachments: tuple[_AttachmentSummary, ...]
    signature_present: bool

    @classmethod
    def of(cls, packet: Packet) -> _PacketSummary:
        if isinstance(packet, DocumentPacket):
            return cls(
                kind="document",
                document_id=str(packet.document_id),
                sender=packet.sender_code,
                to=packet.recipient_codes,
                business_type=packet.business_type.name.lower(),
                status_code=None,
                response_for=tuple(str(r.document_id) for r in packet.response_for),
                attachments=tuple(
                    _AttachmentSummary(a.content_id, a.name, a.content_type, a.size, a.sha256)
                    for a in packet.attachments
                ),
                signature_present=packet.signature_present,
            )
        return cls(
            kind="status",
            document_id=None,
            sender=packet.sender_code,
            to=(packet.response_for.organ_id,),
            business_type=None,
            status_code=packet.status_code.value,
            response_for=(str(packet.original_document_id),),
            attachments=(),
            signature_present=packet.signature_present,
        )

    def as_json(self) -> dict[str, object]:
        record = asdict(self)
        record["from"] = record.pop("sender")
        return {key: record[key] for key in _JSON_ORDER}


_JSON_ORDER = (
    "kind",
    "document_id",
    "from",
    "to",
    "business_type",
    "status_code",
    "response_for",
    "attachments",
    "signature_present",
)


def _print_table(file: Path, summary: _PacketSummary) -> None:
    console = Console()
    table = Table(title=str(file), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in summary.as_json().items():
        if key == "attachments":
            continue
        shown = ", ".join(value) if isinstance(value, tuple) else str(value)
        table.add_row(key, "-" if value is None or shown == "" else shown)
    console.print(table)
    if summary.attachments:
        listing = Table(title="attachments")
        for column in fields(_AttachmentSummary):
            listing.add_column(column.name, overflow="fold")
        for attachment in summary.attachments:
            listing.add_row(*(str(getattr(attachment, f.name)) for f in fields(attachment)))
        console.print(listing)
