"""Change sets: the operations that make one registry version, read from and written to JSON.

The JSON shape is the one the CLI and the API accept::

    {"effective": "2025-07-01T00:00:00+07:00", "reason": "Resolution 202/2025",
     "changes": [{"op": "create", "unit": {"code": "...", "name": "...", "parent": "...",
                                           "level": 2}},
                 {"op": "rename", "code": "...", "name": "..."},
                 {"op": "move", "code": "...", "parent": "..."},
                 {"op": "merge", "from": ["A", "B"], "into": "A"},
                 {"op": "split", "from": "C", "into": ["D", "E"]},
                 {"op": "close", "code": "..."},
                 {"op": "update", "code": "...", "set": {"delivery_mode": "push",
                                                         "endpoint": "https://..."}}]}

Reading is strict: an unknown key is refused rather than ignored, because a misspelt field in a
change to the national registry must not pass silently. Every refusal names the field by its
path (`changes[12].unit.parent`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias
from urllib.parse import urlsplit

from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.grammar import CodeError, parse_code
from orgcodes.model import Contact, DeliveryMode

MAX_NAME = 500
MAX_REASON = 2000
MAX_FIELD = 500
MAX_ENDPOINT = 1000
MAX_LEVEL = 9
MAX_CODE = 64

CONTACT_FIELDS = ("email", "phone", "fax", "address")
DETAIL_FIELDS = ("alt_code", "old_codes", "home_axis", "delivery_mode", "endpoint", *CONTACT_FIELDS)
"""The fields of a unit that `update` may set (name and parent have operations of their own)."""


@dataclass(frozen=True, slots=True)
class UnitDetails:
    """The descriptive fields of a unit, beyond its name, parent and level."""

    alt_code: str | None = None
    old_codes: tuple[str, ...] = ()
    home_axis: str | None = None
    delivery_mode: DeliveryMode = DeliveryMode.PULL
    endpoint: str | None = None
    contact: Contact = field(default_factory=Contact)


@dataclass(frozen=True, slots=True)
class Create:
    code: str
    name: str
    parent: str | None
    level: int
    details: UnitDetails = field(default_factory=UnitDetails)


@dataclass(frozen=True, slots=True)
class Rename:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Move:
    code: str
    parent: str | None


@dataclass(frozen=True, slots=True)
class Merge:
    """Every source but `into` is closed with `into` as its successor; `into` stays active."""

    sources: tuple[str, ...]
    into: str


@dataclass(frozen=True, slots=True)
class Split:
    """`source` is closed with several successors."""

    source: str
    into: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Close:
    """Closed with no successor."""

    code: str


@dataclass(frozen=True, slots=True)
class Update:
    """Sets some of a unit's details; `values` holds exactly the fields given."""

    code: str
    values: Mapping[str, Any]


Change: TypeAlias = Create | Rename | Move | Merge | Split | Close | Update


@dataclass(frozen=True, slots=True)
class ChangeSet:
    effective: datetime
    reason: str
    changes: tuple[Change, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "effective": self.effective.isoformat(),
            "reason": self.reason,
            "changes": [_change_json(change) for change in self.changes],
        }

    def dumps(self) -> str:
        """The canonical JSON text (what is published and hashed)."""
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))


# --- reading ------------------------------------------------------------------------------


def parse_change_set(data: str | bytes | Mapping[str, Any]) -> ChangeSet:
    """A change set from JSON text or an already decoded object; `RegistryError` if malformed."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise _malformed(f"the change set is not JSON: {error}") from None
    top = _object(data, "the change set", {"effective", "reason", "changes"}, {"effective"})
    effective = parse_time(top["effective"], "effective")
    reason = _text(top.get("reason", ""), "reason", MAX_REASON, allow_empty=True)
    raw_changes = top.get("changes")
    if not isinstance(raw_changes, list) or not raw_changes:
        raise _malformed("changes: a change set needs a non-empty list of changes")
    changes = tuple(_change(raw, f"changes[{i}]") for i, raw in enumerate(raw_changes))
    return ChangeSet(effective, reason, changes)


def parse_time(value: object, where: str) -> datetime:
    """An ISO-8601 time with its UTC offset, as an aware UTC datetime."""
    if not isinstance(value, str):
        raise _malformed(f"{where}: expected an ISO-8601 time such as 2025-07-01T00:00:00+07:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _malformed(
            f"{where}: {value!r} is not an ISO-8601 time such as 2025-07-01T00:00:00+07:00"
        ) from None
    if parsed.tzinfo is None:
        raise _malformed(f"{where}: {value!r} has no UTC offset; write e.g. +07:00 or Z")
    return parsed.astimezone(UTC)


def _change(raw: object, where: str) -> Change:
    if not isinstance(raw, dict) or not isinstance(raw.get("op"), str):
        raise _malformed(f'{where}: each change is an object with an "op"')
    op = raw["op"]
    if op == "create":
        body = _object(raw, where, {"op", "unit"}, {"unit"})
        return _create(body["unit"], f"{where}.unit")
    if op == "rename":
        body = _object(raw, where, {"op", "code", "name"}, {"code", "name"})
        return Rename(_ref(body["code"], f"{where}.code"), _text(body["name"], f"{where}.name"))
    if op == "move":
        body = _object(raw, where, {"op", "code", "parent"}, {"code", "parent"})
        return Move(_ref(body["code"], f"{where}.code"), _parent(body["parent"], f"{where}"))
    if op == "merge":
        body = _object(raw, where, {"op", "from", "into"}, {"from", "into"})
        return Merge(_refs(body["from"], f"{where}.from"), _ref(body["into"], f"{where}.into"))
    if op == "split":
        body = _object(raw, where, {"op", "from", "into"}, {"from", "into"})
        return Split(_ref(body["from"], f"{where}.from"), _refs(body["into"], f"{where}.into"))
    if op == "close":
        body = _object(raw, where, {"op", "code"}, {"code"})
        return Close(_ref(body["code"], f"{where}.code"))
    if op == "update":
        body = _object(raw, where, {"op", "code", "set"}, {"code", "set"})
        values = _object(body["set"], f"{where}.set", set(DETAIL_FIELDS), set())
        if not values:
            raise _malformed(f"{where}.set: name at least one of {', '.join(DETAIL_FIELDS)}")
        details = _details(values, f"{where}.set")
        return Update(
            _ref(body["code"], f"{where}.code"),
            {name: _detail_value(details, name) for name in values},
        )
    raise _malformed(
        f"{where}.op: {op!r} is not an operation; use create, rename, move, merge, split, "
        "close or update"
    )


def _create(raw: object, where: str) -> Create:
    allowed = {"code", "name", "parent", "level", *DETAIL_FIELDS}
    unit = _object(raw, where, allowed, {"code", "name", "level"})
    code = _new_code(unit["code"], f"{where}.code")
    level = unit["level"]
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= MAX_LEVEL:
        raise _malformed(f"{where}.level: expected a whole number from 1 to {MAX_LEVEL}")
    details = _details(unit, where)
    return Create(
        code,
        _text(unit["name"], f"{where}.name"),
        _parent(unit.get("parent"), where),
        level,
        details,
    )


def _details(values: Mapping[str, Any], where: str) -> UnitDetails:
    mode_text = values.get("delivery_mode", DeliveryMode.PULL.value)
    try:
        mode = DeliveryMode(mode_text)
    except ValueError:
        raise _malformed(f'{where}.delivery_mode: expected "pull" or "push"') from None
    endpoint = _optional(values.get("endpoint"), f"{where}.endpoint", MAX_ENDPOINT)
    if endpoint is not None and urlsplit(endpoint).scheme not in ("http", "https"):
        raise _malformed(f"{where}.endpoint: {endpoint!r} is not an http:// or https:// URL")
    alt = values.get("alt_code")
    return UnitDetails(
        alt_code=None if alt is None else _new_code(alt, f"{where}.alt_code"),
        old_codes=_refs(values.get("old_codes", []), f"{where}.old_codes", allow_empty=True),
        home_axis=_optional(values.get("home_axis"), f"{where}.home_axis", MAX_FIELD),
        delivery_mode=mode,
        endpoint=endpoint,
        contact=Contact(
            *(_optional(values.get(name), f"{where}.{name}", MAX_FIELD) for name in CONTACT_FIELDS)
        ),
    )


def _detail_value(details: UnitDetails, name: str) -> Any:
    if name in CONTACT_FIELDS:
        return getattr(details.contact, name)
    return getattr(details, name)


def _object(raw: object, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _malformed(f"{where}: expected a JSON object")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _malformed(
            f"{where}: unknown field {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )
    missing = sorted(required - set(raw))
    if missing:
        raise _malformed(f"{where}: field {missing[0]!r} is required")
    return raw


def _text(value: object, where: str, limit: int = MAX_NAME, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise _malformed(f"{where}: expected a non-empty string")
    if len(value) > limit:
        raise _malformed(f"{where}: longer than {limit} characters")
    return value


def _optional(value: object, where: str, limit: int) -> str | None:
    if value is None or value == "":
        return None
    return _text(value, where, limit)


def _ref(value: object, where: str) -> str:
    """A code that names an existing unit; the registry says whether it exists."""
    if not isinstance(value, str) or not value or len(value) > MAX_CODE:
        raise _malformed(f"{where}: expected an organization code (up to {MAX_CODE} characters)")
    if any(character.isspace() for character in value):
        raise _malformed(f"{where}: {value!r} contains white space; codes have none")
    return value


def _refs(value: object, where: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise _malformed(f"{where}: expected a non-empty list of organization codes")
    return tuple(_ref(item, f"{where}[{i}]") for i, item in enumerate(value))


def _parent(value: object, where: str) -> str | None:
    return None if value is None else _ref(value, f"{where}.parent")


def _new_code(value: object, where: str) -> str:
    """A code a unit will carry: it must follow one of the two code formats."""
    text = _ref(value, where)
    try:
        parse_code(text)
    except CodeError as error:
        raise RegistryError(RegistryCode.BAD_CODE, f"{where}: {error.message}") from None
    return text


def _malformed(message: str) -> RegistryError:
    return RegistryError(RegistryCode.CHANGESET_MALFORMED, message)


# --- writing ------------------------------------------------------------------------------


def _change_json(change: Change) -> dict[str, Any]:
    match change:
        case Create():
            unit: dict[str, Any] = {
                "code": change.code,
                "name": change.name,
                "parent": change.parent,
                "level": change.level,
            }
            unit.update(_details_json(change.details, DETAIL_FIELDS, skip_defaults=True))
            return {"op": "create", "unit": unit}
        case Rename():
            return {"op": "rename", "code": change.code, "name": change.name}
        case Move():
            return {"op": "move", "code": change.code, "parent": change.parent}
        case Merge():
            return {"op": "merge", "from": list(change.sources), "into": change.into}
        case Split():
            return {"op": "split", "from": change.source, "into": list(change.into)}
        case Close():
            return {"op": "close", "code": change.code}
        case Update():
            values = {
                name: list(value) if isinstance(value, tuple) else value
                for name, value in change.values.items()
            }
            return {"op": "update", "code": change.code, "set": values}


def _details_json(
    details: UnitDetails, names: Sequence[str], *, skip_defaults: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = _detail_value(details, name)
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, DeliveryMode):
            if skip_defaults and value is DeliveryMode.PULL:
                continue
            value = value.value
        if skip_defaults and value in (None, []):
            continue
        out[name] = value
    return out
