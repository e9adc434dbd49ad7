"""The refusals of the registry: one machine code per reason, each with a sentence."""

from __future__ import annotations

from enum import StrEnum


class RegistryCode(StrEnum):
    """The `code` of a `RegistryError`: stable strings that the CLI, the API and logs match on."""

    # The change set itself cannot be read.
    CHANGESET_MALFORMED = "CHANGESET_MALFORMED"
    """The change set is not JSON of the documented shape (the message names the field)."""
    BAD_CODE = "REGISTRY_BAD_CODE"
    """A code in the change set does not follow either code format."""

    # A change does not fit the registry it is applied to.
    UNKNOWN_UNIT = "REGISTRY_UNKNOWN_UNIT"
    """A change names a unit the registry does not hold."""
    CODE_REUSED = "REGISTRY_CODE_REUSED"
    """A create uses a code (or alternate code) that a unit already has or once had."""
    UNIT_CLOSED = "REGISTRY_UNIT_CLOSED"
    """A change (rename, move, merge, split, close) names a unit that is already closed."""
    PARENT_UNKNOWN = "REGISTRY_PARENT_UNKNOWN"
    """An active unit's parent is not in the registry."""
    PARENT_CLOSED = "REGISTRY_PARENT_CLOSED"
    """An active unit would be left under a closed parent."""
    PARENT_CYCLE = "REGISTRY_PARENT_CYCLE"
    """A unit would become its own ancestor."""
    SUCCESSOR_CYCLE = "REGISTRY_SUCCESSOR_CYCLE"
    """Following successors from a closed unit would come back to it."""
    SUCCESSOR_INVALID = "REGISTRY_SUCCESSOR_INVALID"
    """A merge or split names no successor, the same unit twice, or a unit as its own successor."""
    EFFECTIVE_TOO_EARLY = "REGISTRY_EFFECTIVE_TOO_EARLY"
    """The change set takes effect before a later change already recorded for the same unit."""

    # The change set does not fit the registry's history of versions.
    VERSION_GAP = "REGISTRY_VERSION_GAP"
    """A change set arrives for a version that is not the next one."""
    VERSION_OLD = "REGISTRY_VERSION_OLD"
    """A change set or snapshot is for a version the registry has already passed."""

    # Directory files and snapshots.
    DIRECTORY_MALFORMED = "DIRECTORY_MALFORMED"
    """A directory file (JSON or CSV) is not a list of records of the documented shape."""
    SNAPSHOT_MALFORMED = "SNAPSHOT_MALFORMED"
    """A snapshot file is not of the documented shape."""
    SNAPSHOT_UNSIGNED = "SNAPSHOT_UNSIGNED"
    """A snapshot carries no signature; the node only loads signed snapshots."""
    SNAPSHOT_TAMPERED = "SNAPSHOT_TAMPERED"
    """The snapshot's content does not match its signed content hash, or the signature over its
    manifest does not hold: it was changed after it was signed."""
    SNAPSHOT_SIGNER_UNTRUSTED = "SNAPSHOT_SIGNER_UNTRUSTED"
    """The snapshot is signed, but not by the configured registry authority."""
    SNAPSHOT_OLDER = "SNAPSHOT_OLDER"
    """The snapshot's version is older than the registry the node already holds."""
    NOT_AUTHORITY = "REGISTRY_NOT_AUTHORITY"
    """A change is made on a node that follows the registry authority (or an authority-only
    operation is asked of another node)."""
    NO_AUTHORITY = "REGISTRY_NO_AUTHORITY"
    """A snapshot must be signed or verified, but no registry authority key or certificate is
    configured."""


class RegistryError(Exception):
    """A refusal of the registry: `code` is machine-readable, the message a sentence.

    `change` is the index (from 0) of the offending change in its change set, when there is one.
    """

    def __init__(self, code: RegistryCode, message: str, *, change: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.change = change

    def as_json(self) -> dict[str, object]:
        reply: dict[str, object] = {"code": self.code.value, "message": self.message}
        if self.change is not None:
            reply["change"] = self.change
        return reply
