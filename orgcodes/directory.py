"""The national directory of units as JSON and CSV files: read, compared with the registry, written.

Mapping rules: the registry keys a unit by the record's `code102` (QCVN 102) when it has one,
else by `code`; the other code becomes the unit's alternate code. `pcode` may be written in either
format and is translated to the registry key of the unit it names. A diff states in a change set
what the file changes (creates parents-first, closes last) but never changes a level, never
reopens a closed unit and never clears a contact field the file leaves empty; what it leaves
alone it says in notes. Reading is lenient about how real exports spell numbers and flags, and
strict about codes, names and levels.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, Protocol

from orgcodes.changes import (
    CONTACT_FIELDS,
    MAX_FIELD,
    MAX_LEVEL,
    MAX_NAME,
    Change,
    ChangeSet,
    Close,
    Create,
    Move,
    Rename,
    UnitDetails,
    Update,
)
from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.grammar import CodeError, CodeFormat, parse_code
from orgcodes.model import Contact, UnitState
from orgcodes.registry import Registry

MAX_DIRECTORY_BYTES: Final = 512 * 1024 * 1024
"""A directory file larger than this is refused before it is read (the national one is ~20 MB)."""
PROGRESS_EVERY: Final = 1000
"""`on_record` is called after every this many records, and once at the end."""
MAX_NOTES: Final = 50
"""A diff lists at most this many notes, then says how many more there were."""

COLUMNS: Final = (
    "code",
    "code102",
    "name",
    "pcode",
    "level",
    "oldCode",
    "version",
    "deleted",
    "modifyDate",
)
"""The columns of a directory file, in the order they are written."""
CONTACT_COLUMNS: Final = (
    ("mail", "email"),
    ("mobile", "phone"),
    ("fax", "fax"),
    ("address", "address"),
)
"""Contact columns written when a record has them, with the contact field each holds."""

_ATTRIBUTE: Final = {  # field name in a file, lower-cased -> DirectoryRecord attribute
    "code": "code",
    "code102": "code102",
    "name": "name",
    "pcode": "pcode",
    "level": "level",
    "oldcode": "old_codes",
    "version": "version",
    "deleted": "deleted",
    "modifydate": "modify_date",
    "mail": "email",
    "email": "email",
    "mobile": "phone",
    "phone": "phone",
    "fax": "fax",
    "address": "address",
}
_COLUMN: Final = {attribute: name for name, attribute in reversed(_ATTRIBUTE.items())} | {
    "old_codes": "oldCode",
    "modify_date": "modifyDate",
}
_REQUIRED: Final = ("code", "name", "level")
_FLAGS: Final = {"true": True, "false": False, "1": True, "0": False}
_WHOLE: Final = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True, slots=True)
class DirectoryRecord:
    """One unit as a directory file states it.

    `version` is the directory's own version number of the record (the registry does not use
    it); `row` is the record's number in its file, from 1 (0 for a record not read from a file).
    """

    code: str
    code102: str | None
    name: str
    pcode: str | None
    level: int
    old_codes: tuple[str, ...] = ()
    version: int | None = None
    deleted: bool = False
    modify_date: str | None = None
    email: str | None = None
    phone: str | None = None
    fax: str | None = None
    address: str | None = None
    row: int = 0

    @property
    def unit_code(self) -> str:
        """The code the registry keys the unit by: `code102` when present, else `code`."""
        return self.code102 or self.code

    @property
    def alt_code(self) -> str | None:
        """The record's other code; None when it has only one."""
        if self.code102 is None or self.code102 == self.code:
            return None
        return self.code

    @property
    def contact(self) -> Contact:
        return Contact(self.email, self.phone, self.fax, self.address)


@dataclass(frozen=True, slots=True)
class DirectoryDiff:
    """What a directory file changes in a registry, and what it leaves alone.

    Every record is counted once in `created`, `closed` or `unchanged`, or in one or more of
    `renamed`, `moved` and `updated`; a record left alone (see `notes`) counts as unchanged.
    """

    change_set: ChangeSet | None
    """None when the file changes nothing."""
    created: int
    renamed: int
    moved: int
    updated: int
    closed: int
    unchanged: int
    notes: tuple[str, ...]


# --- reading ------------------------------------------------------------------------------

OnRecord = Callable[[int], None]


def read_directory(
    path: Path, format: str | None = None, on_record: OnRecord | None = None
) -> list[DirectoryRecord]:
    """The records of a directory file, `format` "json" or "csv" (default: from the suffix)."""
    kind = (format or path.suffix.removeprefix(".")).lower()
    reader = _READERS.get(kind)
    if reader is None:
        raise _malformed(
            f"{path.name}: cannot tell whether the directory file is JSON or CSV; name it .json "
            "or .csv, or give the format"
        )
    size = path.stat().st_size
    if size > MAX_DIRECTORY_BYTES:
        raise _too_big(size)
    with path.open("rb") as stream:
        return reader(stream, on_record=on_record)


def read_json(
    source: bytes | IO[bytes], *, on_record: OnRecord | None = None
) -> list[DirectoryRecord]:
    """The records of a JSON directory: a list of objects, or `{"status": "OK", "data": [...]}`
    as the national API replies."""
    data = _bounded(source)
    try:
        top = json.loads(data)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise _malformed(f"the directory file is not JSON: {error}") from None
    return _records(_json_items(top), on_record)


def read_csv(
    source: bytes | IO[bytes], *, on_record: OnRecord | None = None
) -> list[DirectoryRecord]:
    """The records of a CSV directory: UTF-8 (with or without BOM), a header row naming the
    columns; unknown columns are ignored."""
    data = _bounded(source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _malformed(
            f"the directory CSV is not UTF-8 (byte {error.start + 1}); save it as UTF-8"
        ) from None
    # strict: a quote left open must not swallow the records after it into one value
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        return _records(_csv_items(rows), on_record)
    except csv.Error as error:
        raise _malformed(
            f"the directory CSV cannot be read at line {rows.line_num}: {error}"
        ) from None


_Reader = Callable[..., list[DirectoryRecord]]
_READERS: Final[Mapping[str, _Reader]] = {"json": read_json, "csv": read_csv}


def _bounded(source: bytes | IO[bytes]) -> bytes:
    if isinstance(source, bytes):
        data = source
    else:
        remaining = _remaining(source)
        if remaining is not None and remaining > MAX_DIRECTORY_BYTES:
            raise _too_big(remaining)
        data = source.read(MAX_DIRECTORY_BYTES + 1)
    if len(data) > MAX_DIRECTORY_BYTES:
        raise _too_big(len(data))
    return data


def _remaining(stream: IO[bytes]) -> int | None:
    """How many bytes are left in a seekable stream, so an oversized one is refused unread."""
    try:
        if not stream.seekable():
            return None
        position = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(position)
    except (OSError, ValueError):
        return None
    return end - position


def _too_big(size: int) -> RegistryError:
    return _malformed(
        f"the directory file has {size} bytes; files over {MAX_DIRECTORY_BYTES // 2**20} MB "
        "are refused"
    )


def _json_items(top: object) -> list[object]:
    if isinstance(top, list):
        return top
    if isinstance(top, dict):
        status = top.get("status")
        if status is not None and str(status).upper() != "OK":
            raise _malformed(f"the directory reply has status {status!r}, not OK")
        data = top.get("data")
        if isinstance(data, list):
            return data
    raise _malformed(
        'the directory must be a JSON list of records, or an object with the list in "data" '
        "as the national API replies"
    )


class _Rows(Protocol):
    """What `csv.reader` returns: rows, and the line it has read up to."""

    @property
    def line_num(self) -> int: ...

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


def _csv_items(rows: _Rows) -> Iterator[Mapping[str, object]]:
    header = next(rows, None)
    if header is None:
        return
    names = [name.strip() for name in header]
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            raise _malformed(f'the CSV header names the column "{name}" twice')
        seen.add(name.lower())
    for required in _REQUIRED:
        if required not in seen:
            raise _malformed(
                f'the CSV header has no column "{required}"; it needs at least '
                f"{', '.join(_REQUIRED)}"
            )
    number = 0
    for values in rows:
        if not any(value.strip() for value in values):
            continue  # blank lines, and the empty rows spreadsheets leave at the end
        number += 1
        if len(values) > len(names):
            raise _malformed(
                f"record {number} (line {rows.line_num}) has {len(values)} values but the header "
                f"has {len(names)} columns; quote values that contain commas"
            )
        yield dict(zip(names, values, strict=False))


def _records(items: Iterable[object], on_record: OnRecord | None) -> list[DirectoryRecord]:
    records: list[DirectoryRecord] = []
    for row, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise _malformed(
                f"record {row}: expected an object with code, name and level, not {_kind(item)}"
            )
        records.append(_record(item, row))
        if on_record is not None and row % PROGRESS_EVERY == 0:
            on_record(row)
    if on_record is not None and (not records or len(records) % PROGRESS_EVERY):
        on_record(len(records))
    _check_unique(records)
    return records


def _record(raw: Mapping[str, object], row: int) -> DirectoryRecord:
    fields = _Fields(raw, row)
    code = fields.code("code")
    if code is None:
        raise fields.missing("code")
    fields.label = code
    name = fields.text("name", MAX_NAME, numbers=False)
    if name is None:
        raise fields.missing("name")
    return DirectoryRecord(
        code=code,
        code102=fields.code("code102"),
        name=name,
        pcode=fields.code("pcode"),
        level=fields.level(),
        old_codes=fields.codes("old_codes"),
        version=fields.version(),
        deleted=fields.deleted(),
        modify_date=fields.text("modify_date", MAX_FIELD),
        email=fields.text("email", MAX_FIELD),
        phone=fields.text("phone", MAX_FIELD),
        fax=fields.text("fax", MAX_FIELD),
        address=fields.text("address", MAX_FIELD),
        row=row,
    )


class _Fields:
    """One record's known fields, read with refusals that name the record and the field."""

    __slots__ = ("found", "label", "row")

    def __init__(self, raw: Mapping[str, object], row: int) -> None:
        self.row = row
        self.label: str | None = None
        self.found: dict[str, tuple[str, object]] = {}  # attribute -> (name as written, value)
        for key, value in raw.items():
            attribute = _ATTRIBUTE.get(key.strip().lower()) if isinstance(key, str) else None
            if attribute is None:
                continue  # real exports carry id, parent ids and more: not ours to judge
            if attribute not in self.found or _absent(self.found[attribute][1]):
                self.found[attribute] = (key, value)

    def get(self, attribute: str) -> object:
        """The value, or None when the field is missing, null or empty."""
        value = self.found.get(attribute, ("", None))[1]
        return None if _absent(value) else value

    def error(self, attribute: str, message: str) -> RegistryError:
        name = self.found[attribute][0] if attribute in self.found else _COLUMN[attribute]
        label = f" ({self.label})" if self.label else ""
        return _malformed(f'record {self.row}{label}, field "{name}": {message}')

    def missing(self, attribute: str) -> RegistryError:
        return self.error(
            attribute, f"is missing or empty; every record needs {', '.join(_REQUIRED)}"
        )

    def text(self, attribute: str, limit: int, *, numbers: bool = True) -> str | None:
        value = self.get(attribute)
        if value is None:
            return None
        if numbers and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # JSON exports write phone numbers and times as numbers too
        if not isinstance(value, str):
            raise self.error(attribute, f"expected text, not {_kind(value)}")
        if len(value) > limit:
            raise self.error(attribute, f"is longer than {limit} characters")
        return value

    def code(self, attribute: str) -> str | None:
        value = self.get(attribute)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(attribute, f"expected an organization code, not {_kind(value)}")
        return self._parsed(attribute, value)

    def codes(self, attribute: str) -> tuple[str, ...]:
        value = self.get(attribute)
        if value is None:
            return ()
        if isinstance(value, str):
            parts: Sequence[object] = value.replace(";", ",").split(",")
        elif isinstance(value, list):
            parts = value
        else:
            raise self.error(attribute, f"expected codes separated by , or ;, not {_kind(value)}")
        codes: list[str] = []
        for part in parts:
            if not isinstance(part, str):
                raise self.error(attribute, f"expected organization codes, not {_kind(part)}")
            text = part.strip()
            if text and text not in codes:
                codes.append(self._parsed(attribute, text))
        return tuple(codes)

    def level(self) -> int:
        value = self.get("level")
        if value is None:
            raise self.missing("level")
        level = _whole(value)
        if level is None or not 1 <= level <= MAX_LEVEL:
            raise self.error(
                "level", f"{value!r} is not a level; expected a whole number from 1 to {MAX_LEVEL}"
            )
        return level

    def version(self) -> int | None:
        value = self.get("version")
        if value is None:
            return None
        version = _whole(value)
        if version is None:
            raise self.error("version", f"{value!r} is not a version; expected a whole number")
        return version

    def deleted(self) -> bool:
        value = self.get("deleted")
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        flag = _FLAGS.get(value.strip().lower()) if isinstance(value, str) else None
        if flag is None:
            raise self.error("deleted", f"{value!r} is not a flag; expected true or false, 1 or 0")
        return flag

    def _parsed(self, attribute: str, text: str) -> str:
        try:
            parse_code(text)
        except CodeError as error:
            raise self.error(attribute, error.message) from None
        return text


def _absent(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _whole(value: object) -> int | None:
    """A non-negative whole number written as a number or as digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value)
    return None


def _kind(value: object) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


def _check_unique(records: Sequence[DirectoryRecord]) -> None:
    """A code names one unit, and a unit has one record."""
    first: dict[str, DirectoryRecord] = {}
    for record in records:
        for code, field in ((record.code, "code"), (record.code102, "code102")):
            if code is None or (field == "code102" and code == record.code):
                continue
            earlier = first.setdefault(code, record)
            if earlier is not record:
                raise _malformed(
                    f'record {record.row} ({record.code}), field "{field}": {code} is '
                    f"already in record {earlier.row}; each unit has one record and a code "
                    "names one unit"
                )


def _malformed(message: str) -> RegistryError:
    return RegistryError(RegistryCode.DIRECTORY_MALFORMED, message)


# --- comparing with the registry ----------------------------------------------------------


def diff_directory(
    records: Sequence[DirectoryRecord], registry: Registry, *, effective: datetime, reason: str
) -> DirectoryDiff:
    """The change set that brings `registry` to what the directory `records` state."""
    if effective.tzinfo is None:
        raise ValueError("effective must carry its UTC offset")
    _check_unique(records)
    return _Diff(records, registry).run(effective.astimezone(UTC), reason)


class _Diff:
    def __init__(self, records: Sequence[DirectoryRecord], registry: Registry) -> None:
        self.records = records
        self.registry = registry
        self.keys: list[str | None] = []
        """Per record: the registry's code for its unit, or None for a unit it does not hold."""
        self.key_of: dict[str, str] = {}
        """Every code in the file -> the registry key of its unit (after the change set)."""
        for record in records:
            key = self._match(record)
            self.keys.append(key)
            for code in (record.unit_code, record.alt_code):
                if code is not None:
                    self.key_of[code] = key or record.unit_code
        self.notes: list[str] = []

    def _match(self, record: DirectoryRecord) -> str | None:
        # A registry built from another source may key the unit by the record's other code.
        for code in (record.unit_code, record.alt_code):
            if code is not None and code in self.registry:
                return code
        return None

    def run(self, effective: datetime, reason: str) -> DirectoryDiff:
        creates: list[Create] = []
        edits: list[Change] = []
        closes: list[Close] = []
        unchanged = 0
        for record, key in zip(self.records, self.keys, strict=True):
            self._note_skipped_levels(record)
            state = None if key is None else self.registry.get(key)
            if key is None or state is None:
                if record.deleted:
                    self.note(
                        f"record {record.row}: {record.unit_code} is deleted in the file and "
                        "not in the registry; skipped"
                    )
                    unchanged += 1
                else:
                    creates.append(self._create(record))
                continue
            if not state.active:
                if not record.deleted:
                    self.note(
                        f"record {record.row}: {key} ({state.name}) is closed in the registry "
                        f"since {state.since:%Y-%m-%d} but not deleted in the file; it stays "
                        "closed, as codes are never reused"
                    )
                unchanged += 1
            elif record.deleted:
                closes.append(Close(key))
            else:
                record_edits = self._edits(record, key, state)
                edits.extend(record_edits)
                unchanged += not record_edits
        changes = (*_parents_first(creates), *edits, *closes)
        return DirectoryDiff(
            change_set=ChangeSet(effective, reason, changes) if changes else None,
            created=len(creates),
            renamed=sum(isinstance(change, Rename) for change in edits),
            moved=sum(isinstance(change, Move) for change in edits),
            updated=sum(isinstance(change, Update) for change in edits),
            closed=len(closes),
            unchanged=unchanged,
            notes=_capped(self.notes),
        )

    def note(self, sentence: str) -> None:
        self.notes.append(sentence)

    def _note_skipped_levels(self, record: DirectoryRecord) -> None:
        for code in (record.unit_code, record.alt_code):
            if code is not None and parse_code(code).skips_a_level:
                self.note(
                    f"record {record.row}: {code} skips a level (an all-zero group above a "
                    "non-zero one); accepted, its parent being the record's explicit parent"
                )

    def _create(self, record: DirectoryRecord) -> Create:
        details = UnitDetails(
            alt_code=record.alt_code, old_codes=record.old_codes, contact=record.contact
        )
        return Create(record.unit_code, record.name, self._parent(record), record.level, details)

    def _edits(self, record: DirectoryRecord, key: str, state: UnitState) -> list[Change]:
        changes: list[Change] = []
        if record.name != state.name:
            changes.append(Rename(key, record.name))
        parent = self._parent(record)
        if parent != state.parent:
            changes.append(Move(key, parent))
        if record.level != state.level:
            self.note(
                f"record {record.row}: {key} has level {record.level} in the file but "
                f"{state.level} in the registry; the level of an existing unit is not changed"
            )
        values: dict[str, Any] = {}
        other = record.alt_code if key == record.unit_code else record.unit_code
        if other != state.alt_code:
            values["alt_code"] = other
        if record.old_codes != state.old_codes:
            values["old_codes"] = record.old_codes
        for name in CONTACT_FIELDS:
            # The file states contacts it has; an empty one does not clear what the registry has.
            value = getattr(record, name)
            if value is not None and value != getattr(state.contact, name):
                values[name] = value
        if values:
            changes.append(Update(key, values))
        return changes

    def _parent(self, record: DirectoryRecord) -> str | None:
        code = record.pcode
        if code is None:
            return None
        key = self.key_of.get(code)
        if key is None:
            if code in self.registry:
                key = code
            else:
                owners = self.registry.aliases.get(code, ())
                # Unknown or ambiguous: left as written, for the registry to refuse by name.
                key = owners[0] if len(owners) == 1 else code
        return None if key == self.key_of[record.unit_code] else key


def _parents_first(creates: Sequence[Create]) -> list[Create]:
    """Creates ordered so that a unit comes after its parent when both are new; units whose
    parent is not new come first, in file order."""
    new = {create.code for create in creates}
    children: dict[str, list[Create]] = {}
    order: list[Create] = []
    for create in creates:
        if create.parent in new:
            children.setdefault(create.parent, []).append(create)
        else:
            order.append(create)
    index = 0
    while index < len(order):
        order.extend(children.pop(order[index].code, ()))
        index += 1
    if children:  # a cycle of new units: kept, for the registry to refuse by name
        placed = {create.code for create in order}
        order.extend(create for create in creates if create.code not in placed)
    return order


def _capped(notes: Sequence[str]) -> tuple[str, ...]:
    if len(notes) <= MAX_NOTES:
        return tuple(notes)
    return (*notes[:MAX_NOTES], f"and {len(notes) - MAX_NOTES} more")


# --- writing ------------------------------------------------------------------------------


def export_records(registry: Registry, at: datetime | None = None) -> list[DirectoryRecord]:
    """Every unit that exists at `at` (default: its latest state), closed ones as deleted,
    sorted by code; `row` is each record's number in that order."""
    states = []
    for history in registry:
        state = history.current if at is None else history.at(at)
        if state is not None:
            states.append((*_columns(state), state))
    states.sort(key=lambda item: (item[0], item[1] or ""))
    return [
        DirectoryRecord(
            code=code,
            code102=code102,
            name=state.name,
            pcode=state.parent,
            level=state.level,
            old_codes=state.old_codes,
            version=state.version,
            deleted=not state.active,
            modify_date=state.since.isoformat(),
            email=state.contact.email,
            phone=state.contact.phone,
            fax=state.contact.fax,
            address=state.contact.address,
            row=row,
        )
        for row, (code, code102, state) in enumerate(states, start=1)
    ]


def _columns(state: UnitState) -> tuple[str, str | None]:
    """`code` and `code102` for a unit: its QCVN 102 code goes in `code102`, its other code in
    `code`; so reading the record back keys the unit by its QCVN 102 code, and loses no code."""
    try:
        qcvn102 = parse_code(state.code).format is CodeFormat.QCVN102
    except CodeError:
        qcvn102 = False
    if qcvn102:
        return state.alt_code or state.code, state.code
    return state.code, state.alt_code


def write_json(records: Iterable[DirectoryRecord], stream: IO[bytes]) -> None:
    """The records as a JSON list of objects, UTF-8, one record a line."""
    separator = b"[\n"
    for record in records:
        stream.write(separator)
        stream.write(json.dumps(_json_object(record), ensure_ascii=False).encode())
        separator = b",\n"
    stream.write(b"[]\n" if separator == b"[\n" else b"\n]\n")


def write_csv(records: Sequence[DirectoryRecord], stream: IO[bytes]) -> None:
    """The records as CSV, UTF-8, with a header row; contact columns only when some record has
    a value for them."""
    contacts = [
        (column, name)
        for column, name in CONTACT_COLUMNS
        if any(getattr(record, name) for record in records)
    ]
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        writer = csv.writer(text)
        writer.writerow([*COLUMNS, *(column for column, _ in contacts)])
        for record in records:
            writer.writerow(
                [
                    record.code,
                    record.code102 or "",
                    record.name,
                    record.pcode or "",
                    str(record.level),
                    ",".join(record.old_codes),
                    "" if record.version is None else str(record.version),
                    "true" if record.deleted else "false",
                    record.modify_date or "",
                    *(getattr(record, name) or "" for _, name in contacts),
                ]
            )
        text.flush()
    finally:
        text.detach()  # the caller's stream stays open


def _json_object(record: DirectoryRecord) -> dict[str, object]:
    out: dict[str, object] = {
        "code": record.code,
        "code102": record.code102,
        "name": record.name,
        "pcode": record.pcode,
        "level": record.level,
        "oldCode": ",".join(record.old_codes) or None,
        "version": record.version,
        "deleted": record.deleted,
        "modifyDate": record.modify_date,
    }
    for column, name in CONTACT_COLUMNS:
        value = getattr(record, name)
        if value is not None:
            out[column] = value
    return out
