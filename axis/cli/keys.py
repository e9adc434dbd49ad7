"""`axis keys`: development PKIs, and the keys the node signs with for agencies (node-signs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from axis.cli import agency_keys
from axis.devtools.dev_pki import KeyType, write_dev_pki
from signing.errors import TrustError

keys_app = typer.Typer(
    help="Keys and certificates: development PKIs, and the keys the node signs with for "
    "agencies (node-signs).",
    no_args_is_help=True,
)
keys_app.command("import-agency-key")(agency_keys.import_agency_key)
keys_app.command("agency-keys")(agency_keys.agency_keys)
keys_app.command("remove-agency-key")(agency_keys.remove_agency_key)


@keys_app.command("dev-pki")
def dev_pki(
    directory: Annotated[Path, typer.Argument(help="Where to write the files.")],
    org: Annotated[
        list[str], typer.Option("--org", help="An organization code to issue a certificate for.")
    ],
    key_type: Annotated[KeyType, typer.Option("--key-type", help="rsa (2048) or ec (P-256).")] = (
        KeyType.RSA
    ),
    days: Annotated[int, typer.Option("--days", min=1, help="Validity of each certificate.")] = 730,
) -> None:
    """Write a development CA (ca.pem, ca.key; reused if present) and, per code, CODE.pem and
    CODE.key. Not for production: keys are unencrypted. The directory is valid --trust material."""
    try:
        written = write_dev_pki(directory, org, key_type=key_type, days=days)
    except TrustError as error:
        typer.echo(f"{error.code}: {error.message}", err=True)
        raise typer.Exit(1) from error
    for path in written:
        typer.echo(str(path))
