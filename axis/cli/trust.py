"""`axis trust ...`: the operator's commands on the node's trust store, each audited."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Column, Table
from sqlalchemy.ext.asyncio import AsyncSession

from axis.cli.options import Actor, AsJson, default_actor, parse_optional_time
from axis.migrations.runner import NotMigrated, require_current
from axis.node.parts import database
from axis.services.certificate_expiry import Expiring, expiring
from axis.settings import load_settings
from axis.store import audit
from axis.store.db import session_factory
from axis.store.trust_repository import ImportCounts, TrustEntry, TrustRepository, import_audited
from signing.certificates import CertificateFacts, facts, load_certificate, load_certificates
from signing.errors import TrustError
from signing.trust import Authorization, Revocation, TrustStore

trust_app = typer.Typer(
    help="The trust store: certificate authorities, which certificate may sign for which "
    "organization code, revocations.",
    no_args_is_help=True,
)

T = TypeVar("T")
_FINGERPRINT_SHOWN = 16
"""Hex digits of a fingerprint a table shows: enough to tell certificates apart by eye."""


def _in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction on the node's database; a `TrustError` rolls it back and
    ends the command with `CODE: sentence` on stderr and exit status 1."""
    settings = load_settings()

    async def _run() -> T:
        async with database(settings) as engine:
            await require_current(engine, "the trust store")
            async with session_factory(engine).begin() as session:
                return await work(session)

    try:
        return asyncio.run(_run())
    except TrustError as error:
        raise _fail(error) from error
    except NotMigrated as error:
        typer.echo(f"DATABASE_NOT_MIGRATED: {error}", err=True)
        raise typer.Exit(1) from error


def node_trust_store() -> TrustStore:
    """The node database's trust store, as `axis verify` uses it without --trust."""
    return _in_transaction(TrustRepository().load)


def _fail(error: TrustError) -> typer.Exit:
    typer.echo(f"{error.code}: {error.message}", err=True)
    return typer.Exit(1)


def _window(start: datetime, end: datetime) -> str:
    """Both ends in UTC (a window given as +07:00 is shown as the same instants)."""
    return f"{start.astimezone(UTC):%Y-%m-%d %H:%M}Z – {end.astimezone(UTC):%Y-%m-%d %H:%M}Z"


def _facts_json(described: CertificateFacts) -> dict[str, object]:
    return {
        "fingerprint": described.fingerprint,
        "serial": described.serial,
        "subject": described.subject,
        "issuer": described.issuer,
        "not_before": described.not_before.isoformat(),
        "not_after": described.not_after.isoformat(),
        "subject_code": described.subject_code,
    }


def _revocation_json(revocation: Revocation | None) -> dict[str, object] | None:
    if revocation is None:
        return None
    return {"revoked_at": revocation.revoked_at.isoformat(), "reason": revocation.reason}


def _entry_json(entry: TrustEntry) -> dict[str, object]:
    return {
        "code": entry.code,
        "certificate": _facts_json(entry.facts),
        "not_before": entry.not_before.isoformat(),
        "not_after": entry.not_after.isoformat(),
        "revocation": _revocation_json(entry.revocation),
        "added_at": entry.added_at.isoformat(),
        "added_by": entry.added_by,
    }


@trust_app.command("add")
def add(
    code: Annotated[str, typer.Argument(help="The organization code the certificate signs for.")],
    certificate_file: Annotated[
        Path, typer.Argument(metavar="CERT.pem", help="The agency's signing certificate (PEM).")
    ],
    not_before: Annotated[
        str | None,
        typer.Option(help="Authorized from (ISO-8601 with zone; default: certificate start)."),
    ] = None,
    not_after: Annotated[
        str | None,
        typer.Option(help="Authorized until (ISO-8601 with zone; default: certificate end)."),
    ] = None,
    actor: Actor = "",
) -> None:
    """Authorize a certificate to sign for an organization code (again: replace its window)."""
    start = parse_optional_time(not_before, "--not-before")
    end = parse_optional_time(not_after, "--not-after")
    who = actor or default_actor()
    try:
        certificate = load_certificate(certificate_file)
    except TrustError as error:
        raise _fail(error) from error

    async def work(session: AsyncSession) -> Authorization:
        now = datetime.now(UTC)
        authorization = await TrustRepository().authorize(
            session, code, certificate, not_before=start, not_after=end, actor=who, at=now
        )
        described = facts(certificate)
        await audit.append(
            session,
            audit.AuditEntry(
                actor=who,
                action="trust.add",
                target=code,
                detail={
                    "fingerprint": described.fingerprint,
                    "serial": described.serial,
                    "subject": described.subject,
                    "not_before": authorization.not_before.isoformat(),
                    "not_after": authorization.not_after.isoformat(),
                },
                at=now,
            ),
        )
        return authorization

    authorization = _in_transaction(work)
    described = facts(certificate)
    typer.echo(
        f"{described.subject} (serial {described.serial}) may sign for {code} "
        f"{_window(authorization.not_before, authorization.not_after)}; authorized by {who}"
    )


@trust_app.command("add-ca")
def add_ca(
    certificate_file: Annotated[
        Path,
        typer.Argument(metavar="CA.pem", help="Certificate authorities (PEM, one or several)."),
    ],
    actor: Actor = "",
) -> None:
    """Trust the certificate authorities in a PEM file (adding one twice changes nothing)."""
    who = actor or default_actor()
    try:
        authorities = load_certificates(certificate_file)
    except TrustError as error:
        raise _fail(error) from error

    async def work(session: AsyncSession) -> list[tuple[CertificateFacts, bool]]:
        now = datetime.now(UTC)
        repository = TrustRepository()
        done = []
        for authority in authorities:
            known = await repository.has_authority(session, facts(authority).fingerprint)
            described = await repository.add_authority(session, authority, actor=who, at=now)
            done.append((described, not known))
            if not known:
                await audit.append(
                    session,
                    audit.AuditEntry(
                        actor=who,
                        action="trust.add_ca",
                        target=described.fingerprint,
                        detail={"subject": described.subject, "serial": described.serial},
                        at=now,
                    ),
                )
        return done

    for described, added in _in_transaction(work):
        state = f"trusted by {who}" if added else "was trusted already"
        typer.echo(f"CA {described.subject} ({described.fingerprint[:_FINGERPRINT_SHOWN]}) {state}")


@trust_app.command("list")
def list_authorizations(
    code: Annotated[str | None, typer.Option(help="Only this organization code.")] = None,
    as_json: AsJson = False,
) -> None:
    """The authorized certificates, by code and start of their window."""

    async def work(session: AsyncSession) -> list[TrustEntry]:
        return await TrustRepository().listing(session, code)

    entries = _in_transaction(work)
    if as_json:
        typer.echo(json.dumps([_entry_json(e) for e in entries], ensure_ascii=False, indent=2))
        return
    table = Table(
        Column("code", no_wrap=True),
        # Minimum widths that fit an 80-column terminal; wider ones show more per line.
        Column("subject", min_width=12, overflow="fold"),
        # The serial is what `axis trust revoke` takes: shown whole, folded, never cut short.
        Column("serial", min_width=10, overflow="fold"),
        Column("window", min_width=12),
        Column("revoked", min_width=8, overflow="fold"),
    )
    for entry in entries:
        revoked = ""
        if entry.revocation is not None:
            revoked = f"{entry.revocation.revoked_at:%Y-%m-%d %H:%M}Z {entry.revocation.reason}"
        table.add_row(
            entry.code,
            entry.facts.subject,
            entry.facts.serial,
            _window(entry.not_before, entry.not_after),
            revoked.strip(),
        )
    Console().print(table)
    typer.echo(f"{len(entries)} authorization(s)")


@trust_app.command("list-ca")
def list_authorities(as_json: AsJson = False) -> None:
    """The trusted certificate authorities."""

    async def work(session: AsyncSession) -> list[CertificateFacts]:
        return await TrustRepository().authorities(session)

    authorities = _in_transaction(work)
    if as_json:
        typer.echo(json.dumps([_facts_json(a) for a in authorities], ensure_ascii=False, indent=2))
        return
    table = Table(
        Column("subject", min_width=16, overflow="fold"),
        Column("serial", min_width=12, overflow="fold"),
        Column("fingerprint", no_wrap=True),
        Column("valid", min_width=18),
    )
    for authority in authorities:
        table.add_row(
            authority.subject,
            authority.serial,
            authority.fingerprint[:_FINGERPRINT_SHOWN],
            _window(authority.not_before, authority.not_after),
        )
    Console().print(table)
    typer.echo(f"{len(authorities)} certificate authorit{'y' if len(authorities) == 1 else 'ies'}")


@trust_app.command("expiring")
def expiring_certificates(
    days: Annotated[
        int | None,
        typer.Option(
            min=0,
            show_default=False,
            help="Within this many days (default: AXIS_CERTIFICATE_WARNING_DAYS, 30).",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Certificates of the trust store (authorities and authorized signers) that expire within
    the warning period or have expired, soonest first; exit 1 when there is any."""
    settings = load_settings()
    within = timedelta(days=settings.certificate_warning_days if days is None else days)
    now = datetime.now(UTC)

    async def run() -> list[Expiring]:
        async with database(settings) as engine:
            await require_current(engine, "the trust store")
            return await expiring(session_factory(engine), within=within, now=now)

    try:
        found = asyncio.run(run())
    except NotMigrated as error:
        typer.echo(f"DATABASE_NOT_MIGRATED: {error}", err=True)
        raise typer.Exit(1) from error
    if as_json:
        typer.echo(json.dumps([e.as_json(now) for e in found], ensure_ascii=False, indent=2))
    else:
        table = Table(
            Column("expires (UTC)", no_wrap=True), Column("days", justify="right"),
            Column("kind"), Column("code", no_wrap=True), Column("serial", overflow="fold"),
            Column("subject", overflow="fold"),
        )  # fmt: skip
        for entry in found:
            table.add_row(
                f"{entry.not_after.astimezone(UTC):%Y-%m-%d %H:%M}", str(entry.days_left(now)),
                entry.kind, entry.code or "", entry.serial, entry.subject,
            )  # fmt: skip
        Console().print(table)
        typer.echo(f"{len(found)} certificate(s) expire within {within.days} days or have expired")
    if found:
        raise typer.Exit(1)


@trust_app.command("revoke")
def revoke(
    serial: Annotated[str, typer.Argument(help="The certificate's serial number (hex).")],
    at: Annotated[
        str | None, typer.Option(help="Revoked from (ISO-8601 with zone; default: now).")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (kept with the revocation).")] = "",
    actor: Actor = "",
) -> None:
    """Revoke a certificate from a time on (an earlier revocation's time stands)."""
    revoked_from = parse_optional_time(at, "--at")
    who = actor or default_actor()

    async def work(session: AsyncSession) -> tuple[datetime, Revocation, list[TrustEntry]]:
        now = datetime.now(UTC)
        requested = revoked_from or now
        repository = TrustRepository()
        revocation = await repository.revoke(
            session, serial, at=requested, reason=reason, actor=who
        )
        await audit.append(
            session,
            audit.AuditEntry(
                actor=who,
                action="trust.revoke",
                target=revocation.serial,
                detail={
                    "requested_at": requested.isoformat(),
                    "revoked_at": revocation.revoked_at.isoformat(),
                    "reason": reason,
                },
                at=now,
            ),
        )
        affected = [
            e for e in await repository.listing(session) if e.facts.serial == revocation.serial
        ]
        return requested, revocation, affected

    requested, revocation, affected = _in_transaction(work)
    if revocation.revoked_at < requested:
        typer.echo(
            f"serial {revocation.serial} was revoked already from "
            f"{revocation.revoked_at.isoformat()}; the earlier time stands"
        )
    else:
        typer.echo(f"serial {revocation.serial} revoked from {revocation.revoked_at.isoformat()}")
    for entry in affected:
        typer.echo(f"  {entry.code}: {entry.facts.subject} may no longer sign from then on")
    if not affected:
        # Revoking ahead of time is allowed, but most often this is a mistyped serial.
        typer.echo(
            f"note: no authorized certificate has serial {revocation.serial}; check it against "
            "axis trust list"
        )


@trust_app.command("import")
def import_directory(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="ca.pem and one CODE.pem per code.")
    ],
    actor: Actor = "",
) -> None:
    """Load a trust directory (as axis keys dev-pki writes it) into the trust store."""
    who = actor or default_actor()

    async def work(session: AsyncSession) -> ImportCounts:
        return await import_audited(session, directory, actor=who, at=datetime.now(UTC))

    counts = _in_transaction(work)
    typer.echo(
        f"imported {directory}: {counts.authorities_added} CA(s) added, "
        f"{counts.authorities_known} already trusted, {counts.authorizations} authorization(s)"
    )
