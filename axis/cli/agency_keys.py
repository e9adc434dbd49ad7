"""`axis keys import-agency-key | agency-keys | remove-agency-key`: the keys the node holds to
sign for agencies whose DMS does not sign (`node-signs`). Run on the node's machine: the key is
sealed under the node's secret key and written straight into its database, audited."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from axis.cli.options import Actor, default_actor
from axis.keys.agency_keys import AgencyKeyError, AgencyKeyStore, describe_key, key_store
from axis.keys.node_secret import load_or_create
from axis.keys.pkcs11 import TokenError
from axis.migrations.runner import require_current
from axis.node.parts import database
from axis.settings import load_settings
from axis.store import audit
from axis.store.db import session_factory
from axis.store.trust_repository import TrustRepository
from signing.certificates import fingerprint, load_certificate, load_private_key
from signing.errors import TrustError


def import_agency_key(
    code: Annotated[str, typer.Argument(help="The agency's organization code.")],
    cert: Annotated[Path, typer.Option("--cert", help="The key's certificate (PEM).")],
    key: Annotated[
        Path | None, typer.Option("--key", help="Its private key (PEM): sealed and kept.")
    ] = None,
    pkcs11_label: Annotated[
        str | None,
        typer.Option(
            "--pkcs11-label",
            help="Or: the label of its RSA key in the PKCS#11 token (AXIS_PKCS11_*), which "
            "never leaves the token.",
        ),
    ] = None,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust/--no-trust",
            help="Also authorize the certificate for CODE in the trust store (audited), so "
            "what the node signs verifies; off when the operator does that with axis trust.",
        ),
    ] = True,
    actor: Actor = "",
) -> None:
    """Keep an agency's signing key (sealed under the node's secret key, or named in the
    PKCS#11 token) for `node-signs` clients of that code. A key imported again replaces the
    earlier one."""
    settings = load_settings()
    who = actor or default_actor()
    if (key is None) == (pkcs11_label is None):
        typer.echo("AGENCY_KEY_SOURCE: give --key or --pkcs11-label, one of them", err=True)
        raise typer.Exit(2)
    try:
        certificate = load_certificate(cert)
        private_key = load_private_key(key) if key is not None else None
    except TrustError as error:
        typer.echo(f"{error.code}: {error.message}", err=True)
        raise typer.Exit(1) from error

    async def work() -> str:
        async with database(settings) as engine:
            await require_current(engine, "importing an agency key")
            store = key_store(settings)
            now = datetime.now(UTC)
            async with session_factory(engine).begin() as session:
                if private_key is not None:
                    held = await store.put(session, code, private_key, certificate, at=now)
                else:
                    assert pkcs11_label is not None
                    held = await store.put_token_key(
                        session, code, pkcs11_label, certificate, at=now
                    )
                if trust:
                    await TrustRepository().authorize(session, code, certificate, actor=who, at=now)
                detail = {
                    "fingerprint": fingerprint(certificate),
                    "trusted": trust,
                    "pkcs11_label": pkcs11_label,
                }
                await audit.append(
                    session,
                    audit.AuditEntry(
                        actor=who, action="keys.import_agency_key", target=code, detail=detail
                    ),
                )
            return describe_key(held)

    try:
        described = asyncio.run(work())
    except (AgencyKeyError, TrustError, TokenError) as error:
        typer.echo(f"{error.code}: {error.message}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"the node signs for {described}")


def agency_keys() -> None:
    """The agencies the node holds a signing key for (never the keys)."""
    settings = load_settings()

    async def work() -> list[str]:
        async with database(settings) as engine:
            await require_current(engine, "listing agency keys")
            store = AgencyKeyStore(load_or_create(settings.secret_key_path))
            async with session_factory(engine)() as session:
                return [describe_key(k) for k in await store.list(session)]

    held = asyncio.run(work())
    for line in held:
        typer.echo(line)
    typer.echo(f"{len(held)} agency key(s)")


def remove_agency_key(
    code: Annotated[str, typer.Argument(help="The agency's organization code.")],
    actor: Actor = "",
) -> None:
    """Forget the key held for CODE (its node-signs clients' packets are then refused with
    NODE_KEY_MISSING)."""
    settings = load_settings()
    who = actor or default_actor()

    async def work() -> bool:
        async with database(settings) as engine:
            await require_current(engine, "removing an agency key")
            store = AgencyKeyStore(load_or_create(settings.secret_key_path))
            async with session_factory(engine).begin() as session:
                removed = await store.remove(session, code)
                if removed:
                    entry = audit.AuditEntry(
                        actor=who, action="keys.remove_agency_key", target=code, detail={}
                    )
                    await audit.append(session, entry)
                return removed

    if not asyncio.run(work()):
        typer.echo(f"AGENCY_KEY_NOT_FOUND: the node holds no key for {code}", err=True)
        raise typer.Exit(1)
    typer.echo(f"the node no longer signs for {code}")
