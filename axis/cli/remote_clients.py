"""`axis clients add|list|disable|rotate|bind-certificate|unbind-certificate|strict-parameters|
signature-policy|rebind`:
who may call the node's API, managed over HTTP by an operator's profile.

The first operator client cannot be made over HTTP (nobody holds a secret yet), so
`axis clients add --local` writes it straight into the node's database, on the node's machine,
with the node's settings and secret key, audited as the local user (`--actor`).
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from axis.cli.options import AsJson, default_actor
from axis.cli.profiles import ProfileName
from axis.cli.remote import echo_json, fail, node, print_table, when
from axis.client import ClientInfo, IssuedClient
from axis.keys.node_secret import NodeSecretError, load_or_create
from axis.migrations.runner import NotMigrated, require_current
from axis.node.parts import database
from axis.services.client_admin import Actor, ClientAdmin, NewClient
from axis.settings import load_settings
from axis.store.credentials import ClientError, ClientStore, Issued, parse_roles
from axis.store.db import session_factory

clients_app = typer.Typer(
    help="API clients: add, list, disable, rotate a secret (over HTTP, operator; or "
    "`add --local` on the node's machine).",
    no_args_is_help=True,
)

SHOWN_ONCE = (
    "Keep this secret now: the node keeps only its hash and cannot show it again "
    "(`axis clients rotate ID` issues a new one)."
)
SHOWN_ONCE_HMAC = (
    "Keep this secret now: the node keeps its hash, and the secret itself sealed under the "
    "node's secret key (to check the SDK's HMAC), but never shows it again "
    "(`axis clients rotate ID` issues a new one)."
)
WEAK_IMPORT_NOTE = (
    "This client's secret was imported under --allow-weak-secret: it signs the national SDK's "
    "requests only (it is no API key and no dashboard password); rotate it when the DMS can "
    "take a new one."
)


def _print_issued(issued: IssuedClient, verb: str, as_json: bool) -> None:
    """The client and its secret, once: the secret alone on stdout's last line, the warning on
    stderr (so `| tail -1` hands a script just the secret)."""
    if as_json:
        echo_json(issued)
    else:
        client = issued.client
        roles = ", ".join(client.roles)
        codes = ", ".join(client.codes) or "-"
        typer.echo(
            f"client {client.client_id} {verb} ({client.name}; roles {roles}; codes {codes})"
        )
        typer.echo(issued.secret)
    typer.echo(SHOWN_ONCE_HMAC if issued.client.hmac else SHOWN_ONCE, err=True)
    if issued.client.weak_secret:
        typer.echo(WEAK_IMPORT_NOTE, err=True)


def _read_secret() -> str:
    secret = sys.stdin.readline().strip()
    if not secret:
        fail("CLIENT_SECRET_MISSING", "--secret-stdin was given but stdin holds no secret")
    return secret


def _add_locally(
    client_id: str | None,
    name: str,
    codes: Sequence[str],
    roles: Sequence[str],
    hmac: bool,
    secret: str | None,
    allow_weak_secret: bool,
    actor: str,
) -> Issued:
    settings = load_settings()

    async def work() -> Issued:
        async with database(settings) as engine:
            await require_current(engine, "adding a client")
            store = ClientStore(load_or_create(settings.secret_key_path))
            admin = ClientAdmin(session_factory(engine), store)
            new = NewClient(
                client_id=client_id, name=name, codes=list(codes), roles=list(parse_roles(roles)),
                hmac=hmac, secret=secret, allow_weak_secret=allow_weak_secret,
            )  # fmt: skip
            issued = await admin.add(new, Actor(actor), local=True)
            return issued

    try:
        return asyncio.run(work())
    except ClientError as error:
        fail(error.code, error.message)
    except NotMigrated as error:
        fail("DATABASE_NOT_MIGRATED", str(error))
    except NodeSecretError as error:
        fail("NODE_SECRET_UNUSABLE", str(error))


@clients_app.command("add")
def add(
    name: Annotated[str, typer.Option(help="Who it is (a DMS, a person, a tool).")],
    role: Annotated[
        list[str],
        typer.Option(help="agency, clerk, operator or registry-authority (repeatable)."),
    ],
    code: Annotated[
        list[str] | None,
        typer.Option(help="An organization code it acts for (repeatable; agencies need one)."),
    ] = None,
    client_id: Annotated[
        str | None, typer.Option("--id", help="Its id (default: generated).")
    ] = None,
    hmac: Annotated[
        bool, typer.Option(help="Also accept the national SDK's HMAC-signed requests.")
    ] = False,
    secret_stdin: Annotated[
        bool,
        typer.Option(
            help="Use the secret on stdin (one an SDK already has) instead of a new one; it must "
            "be strong (16+ characters, not words, repeats or sequences)."
        ),
    ] = False,
    allow_weak_secret: Annotated[
        bool,
        typer.Option(
            help="With --hmac --secret-stdin: import an existing national SDK secret that fails "
            "the strength rule (audited; the secret then signs SDK requests only)."
        ),
    ] = False,
    local: Annotated[
        bool,
        typer.Option(
            help="Write to this machine's node database (the node's settings) instead of "
            "calling the API: for the first operator client."
        ),
    ] = False,
    actor: Annotated[
        str,
        typer.Option(
            help="With --local: who does this, for the audit log (default user@host). Over "
            "HTTP the node audits the profile's client."
        ),
    ] = "",
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """Create a client bound to codes and roles; prints its secret once."""
    codes = list(code or [])
    if allow_weak_secret and not secret_stdin:
        fail(
            "CLIENT_WEAK_SECRET_NOT_CHOSEN",
            "--allow-weak-secret imports a secret given with --secret-stdin; without one the "
            "node issues a strong secret",
        )
    secret = _read_secret() if secret_stdin else None
    if local:
        made = _add_locally(
            client_id, name, codes, role, hmac, secret, allow_weak_secret,
            actor or default_actor(),
        )  # fmt: skip
        issued = IssuedClient(
            client=ClientInfo.model_validate(made.client.as_json()), secret=made.secret
        )
    else:
        with node(profile) as axis:
            issued = axis.add_client(
                name, roles=role, codes=codes, client_id=client_id, hmac=hmac, secret=secret,
                allow_weak_secret=allow_weak_secret,
            )  # fmt: skip
    _print_issued(issued, "created", as_json)


@clients_app.command("list")
def list_clients(profile: ProfileName = None, as_json: AsJson = False) -> None:
    """Every client, enabled or not (never their secrets)."""
    with node(profile) as axis:
        clients = axis.clients()
    if as_json:
        echo_json(clients)
        return
    table = Table("id", "name", "roles", "codes", "hmac", "certificate", "created (UTC)", "state")
    for c in clients:
        state = f"disabled {when(c.disabled_at)}" if c.disabled_at else "enabled"
        hmac = ", ".join(
            word
            for word, on in (("yes", c.hmac), ("strict", c.strict_parameters),
                             ("weak secret", c.weak_secret))
            if on
        )  # fmt: skip
        if c.signature_policy != "require":
            hmac = ", ".join(part for part in (hmac, c.signature_policy) if part)
        certificate = c.certificate_sha256[:16] + "..." if c.certificate_sha256 else ""
        table.add_row(
            c.client_id, c.name, ", ".join(c.roles), ", ".join(c.codes), hmac, certificate,
            when(c.created_at), state,
        )  # fmt: skip
    print_table(table)
    typer.echo(f"{len(clients)} client(s)")


@clients_app.command("disable")
def disable(
    client_id: Annotated[str, typer.Argument(help="The client's id.")],
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """Disable a client: its secret stops working at once."""
    with node(profile) as axis:
        client = axis.disable_client(client_id)
    if as_json:
        echo_json(client)
        return
    typer.echo(f"client {client.client_id} disabled at {when(client.disabled_at)} UTC")


@clients_app.command("rotate")
def rotate(
    client_id: Annotated[str, typer.Argument(help="The client's id.")],
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """Issue a new secret (printed once); the old one stops working at once."""
    with node(profile) as axis:
        issued = axis.rotate_client(client_id)
    _print_issued(issued, "has a new secret", as_json)


@clients_app.command("bind-certificate")
def bind_certificate(
    client_id: Annotated[str, typer.Argument(help="The client's id.")],
    certificate: Annotated[
        Path | None, typer.Argument(help="The client's certificate (PEM).", show_default=False)
    ] = None,
    sha256: Annotated[
        str | None, typer.Option(help="Its SHA-256 fingerprint instead of the file.")
    ] = None,
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """Refuse the client's requests unless they come over TLS presenting this certificate
    (audited; its dashboard sessions end)."""
    if (certificate is None) == (sha256 is None):
        fail("CLIENT_CERTIFICATE_INVALID", "give the certificate file or --sha256, one of them")
    if certificate is not None:
        sha256 = _file_fingerprint(certificate)
    with node(profile) as axis:
        client = axis.bind_certificate(client_id, sha256=sha256)
    if as_json:
        echo_json(client)
        return
    typer.echo(f"client {client.client_id} bound to certificate {client.certificate_sha256}")


@clients_app.command("unbind-certificate")
def unbind_certificate(
    client_id: Annotated[str, typer.Argument(help="The client's id.")],
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """Accept the client's requests without a client certificate again (audited)."""
    with node(profile) as axis:
        client = axis.unbind_certificate(client_id)
    if as_json:
        echo_json(client)
        return
    typer.echo(f"client {client.client_id} is bound to no certificate")


@clients_app.command("strict-parameters")
def strict_parameters(
    client_id: Annotated[str, typer.Argument(help="The client's id.")],
    off: Annotated[bool, typer.Option("--off", help="Turn strict parameters off.")] = False,
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """SDK operations refuse the client's signed parameters that they do not use (for a DMS that
    makes one SDK service object per call; audited)."""
    with node(profile) as axis:
        client = axis.set_strict_parameters(client_id, not off)
    if as_json:
        echo_json(client)
        return
    state = "on" if client.strict_parameters else "off"
    typer.echo(f"client {client.client_id}: strict parameters {state}")


@clients_app.command("rebind")
def rebind(
    client_id: Annotated[str, typer.Argument(help="The client's id.")],
    old: Annotated[str, typer.Argument(metavar="FROM", help="A closed code the client acts for.")],
    new: Annotated[
        str, typer.Argument(metavar="TO", help="Its successor (or a candidate of its split).")
    ],
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """Across a code switch: the client acts for TO, where the closed code FROM leads now,
    instead of FROM (audited; never done by the node by itself)."""
    with node(profile) as axis:
        client = axis.rebind_client(client_id, old, new)
    if as_json:
        echo_json(client)
        return
    typer.echo(f"client {client.client_id} acts for {', '.join(client.codes)}")


@clients_app.command("signature-policy")
def signature_policy(
    client_id: Annotated[str, typer.Argument(help="The client's id.")],
    policy: Annotated[str, typer.Argument(help="require, node-signs or accept-authenticated.")],
    profile: ProfileName = None,
    as_json: AsJson = False,
) -> None:
    """What the client's packets must carry as a signature (audited): `require` (their own
    verified XML-DSig, the default), `node-signs` (the node signs its unsigned or legacy-signed
    packets with the key it holds for the From code) or `accept-authenticated` (routed unsigned,
    marked "unsigned, client-authenticated")."""
    with node(profile) as axis:
        client = axis.set_signature_policy(client_id, policy)
    if as_json:
        echo_json(client)
        return
    typer.echo(f"client {client.client_id}: signature policy {client.signature_policy}")


def _file_fingerprint(path: Path) -> str:
    try:
        text = path.read_text(encoding="ascii")
        der = ssl.PEM_cert_to_DER_cert(text.strip())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        fail("CLIENT_CERTIFICATE_INVALID", f"{path} is not a PEM certificate ({error})")
    return hashlib.sha256(der).hexdigest()
