"""The machine codes of the problems the bus-record codec reports, and how it raises them."""

from __future__ import annotations

from enum import StrEnum

from envelopes.errors import EnvelopeError, Location, Problem


class RecordProblemCode(StrEnum):
    """The `code` of a record problem: stable strings that callers and logs match on."""

    MALFORMED = "RECORD_MALFORMED"
    """The bytes are not a single-object-encoded record: bad marker, truncated, trailing bytes."""
    UNKNOWN_SCHEMA = "RECORD_UNKNOWN_SCHEMA"
    """The writer schema's fingerprint (or a record name) is not among the known schemas."""
    WRONG_TYPE = "RECORD_WRONG_TYPE"
    """The record is another type than the caller asked for (a status, not a delivery)."""
    INCOMPATIBLE_SCHEMA = "RECORD_INCOMPATIBLE_SCHEMA"
    """The writer schema cannot be resolved to this node's reader schema."""
    INVALID = "RECORD_INVALID"
    """A value does not fit the schema (when encoding) or its Python type (when decoding)."""


def record_error(code: RecordProblemCode, message: str, path: str = "") -> EnvelopeError:
    """The error to raise for one record problem; `path` names the record or field concerned."""
    return EnvelopeError(Problem(code, message, Location(path=path)))
