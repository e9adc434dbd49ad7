"""The node's secret key: one Fernet key in a file readable by the node's user only.

It seals the secrets of HMAC clients (`axis.store.credentials`) and signs the dashboard's session
cookies. It is created on first use; every process of one node must read the same file, and
replacing it makes the sealed secrets unusable (those clients need `axis clients rotate`).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet


class NodeSecretError(RuntimeError):
    """The key file exists but cannot be used; the message says why."""


def load_or_create(path: Path) -> bytes:
    """The key in `path`, created (mode 0600) when the file does not exist."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process of the node made it first
            return load_or_create(path)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key + b"\n")
        return key
    key = path.read_bytes().strip()
    try:
        Fernet(key)
    except ValueError as error:
        raise NodeSecretError(
            f"{path} does not hold a node secret key (32 url-safe base64 bytes): {error}; "
            "restore the node's key file, or move it away to create a new one"
        ) from None
    return key
