"""The one generic mapping between record dataclasses and the plain values fastavro handles.

Driven by the dataclasses' type hints, so a new record or field needs no conversion code:
nested records become mappings, tuples arrays, enums their value, and a union of records is
written in fastavro's tuple notation `(full name, value)` so the branch is never guessed.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from envelopes.records.model import AvroRecord
from envelopes.records.problems import RecordProblemCode, record_error

R = TypeVar("R", bound=AvroRecord)


def to_datum(record: AvroRecord) -> dict[str, object]:
    """The value fastavro writes for `record`."""
    return _record_to_datum(record, type(record), type(record).__name__)


def from_datum(record_type: type[R], datum: object) -> R:
    """The `record_type` instance for a value fastavro read with the matching reader schema.

    Fields absent from `datum` (a reader schema older than the dataclass) take their default.
    """
    return _record_from_datum(datum, record_type, record_type.__name__)


_FIELDS: dict[type[AvroRecord], tuple[tuple[str, Any], ...]] = {}


def _fields(record_type: type[AvroRecord]) -> tuple[tuple[str, Any], ...]:
    """The (name, resolved type hint) of each field, resolved once per class."""
    found = _FIELDS.get(record_type)
    if found is None:
        hints = typing.get_type_hints(record_type)
        found = tuple((field.name, hints[field.name]) for field in dataclasses.fields(record_type))
        _FIELDS[record_type] = found
    return found


def _union_members(hint: Any) -> tuple[Any, ...] | None:
    """The non-null members of a union hint, or None if `hint` is not a union."""
    if typing.get_origin(hint) not in (types.UnionType, typing.Union):
        return None
    return tuple(arg for arg in typing.get_args(hint) if arg is not type(None))


def _is_record_type(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, AvroRecord)


def _record_to_datum(value: object, record_type: type[AvroRecord], path: str) -> dict[str, object]:
    if not isinstance(value, record_type):
        raise _invalid(path, f"expected a {record_type.__name__}, got {type(value).__name__}")
    return {
        name: _to_datum(getattr(value, name), hint, f"{path}.{name}")
        for name, hint in _fields(record_type)
    }


def _to_datum(value: object, hint: Any, path: str) -> object:
    members = _union_members(hint)
    if members is not None:
        if value is None:
            return None
        if len(members) == 1:
            return _to_datum(value, members[0], path)
        for member in members:
            if isinstance(value, member):
                return (member.AVRO_NAME, _record_to_datum(value, member, path))
        names = " or ".join(member.__name__ for member in members)
        raise _invalid(path, f"expected {names}, got {type(value).__name__}")
    if _is_record_type(hint):
        return _record_to_datum(value, hint, path)
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, tuple):
            raise _invalid(path, f"expected a tuple, got {type(value).__name__}")
        item_hint = typing.get_args(hint)[0]
        return [_to_datum(item, item_hint, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(hint, type) and issubclass(hint, Enum):
        if not isinstance(value, hint):
            raise _invalid(path, f"expected a {hint.__name__}, got {value!r}")
        return value.value
    if hint is datetime and isinstance(value, datetime) and value.tzinfo is None:
        # fastavro would read a naive time as UTC, while edXML times are Vietnam local time:
        # refusing it is the only way not to shift a timestamp by seven hours silently.
        raise _invalid(path, "the time has no time zone; give it one (edXML times are UTC+7)")
    return value


def _record_from_datum(datum: object, record_type: type[R], path: str) -> R:
    if not isinstance(datum, Mapping):
        raise _invalid(path, f"expected a record, got {type(datum).__name__}")
    values = {
        name: _from_datum(datum[name], hint, f"{path}.{name}")
        for name, hint in _fields(record_type)
        if name in datum
    }
    return record_type(**values)


def _from_datum(datum: object, hint: Any, path: str) -> object:
    members = _union_members(hint)
    if members is not None:
        if datum is None:
            return None
        if isinstance(datum, tuple):
            name, datum = datum
            member = next((m for m in members if getattr(m, "AVRO_NAME", None) == name), None)
            if member is None:
                raise _invalid(path, f"the record holds a {name}, which this field cannot take")
            return _from_datum(datum, member, path)
        return _from_datum(datum, members[0], path)
    if _is_record_type(hint):
        return _record_from_datum(datum, hint, path)
    if typing.get_origin(hint) is tuple:
        if not isinstance(datum, list):
            raise _invalid(path, f"expected an array, got {type(datum).__name__}")
        item_hint = typing.get_args(hint)[0]
        return tuple(_from_datum(item, item_hint, f"{path}[{i}]") for i, item in enumerate(datum))
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(datum)
        except ValueError:
            raise _invalid(path, f"{datum!r} is not a known {hint.__name__}") from None
    return datum


def _invalid(path: str, message: str) -> Exception:
    return record_error(RecordProblemCode.INVALID, f"{path}: {message}", path)
