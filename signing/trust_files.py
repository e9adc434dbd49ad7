"""Trust material from PEM files: a directory laid out as `axis keys dev-pki` writes it.

    DIR/ca.pem        the trusted certificate authorities (one or several certificates)
    DIR/{code}.pem    a certificate authorized to sign for {code} (over its own validity)
    DIR/*.key         private keys: ignored here

A directory is enough for `axis verify --trust DIR` and for tests; a node keeps its trust store in
its database (`axis.store.trust_repository`), which `axis trust import DIR` fills from a directory.
"""

from __future__ import annotations

import re
from pathlib import Path

from signing.certificates import load_certificate, load_certificates
from signing.errors import TrustError
from signing.trust import Authorization, TrustStore

CA_FILE = "ca.pem"
"""The trusted certificate authorities of a trust directory."""
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_code(code: str) -> None:
    """`TrustError` `TRUST_BAD_CODE` unless `code` can name a certificate file."""
    if not _CODE.match(code):
        raise TrustError(
            "TRUST_BAD_CODE",
            f"{code!r} cannot name a certificate: an organization code is letters, digits, dots "
            "and dashes (for example 000.00.12.H53).",
        )


def load_trust_directory(directory: Path) -> TrustStore:
    """The trust store a directory describes; `TrustError` when it is not one."""
    ca_path = directory / CA_FILE
    if not directory.is_dir() or not ca_path.is_file():
        raise TrustError(
            "TRUST_DIRECTORY_INVALID",
            f"{directory} is not a trust directory: it must hold {CA_FILE} (the certificate "
            "authorities) and one CODE.pem per organization code, as axis keys dev-pki writes.",
        )
    authorities = load_certificates(ca_path)
    authorizations = []
    for path in sorted(directory.glob("*.pem")):
        if path.name == CA_FILE:
            continue
        check_code(path.stem)
        authorizations.append(Authorization.for_certificate(path.stem, load_certificate(path)))
    return TrustStore.of(authorities, authorizations)
