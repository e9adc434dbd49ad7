"""Directory files: JSON and CSV read alike, leniently about spelling and strictly about codes;
a diff turns a file into the change set that brings the registry to it; an export reads back."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orgcodes import directory
from orgcodes.changes import (
    ChangeSet,
    Close,
    Create,
    Move,
    Rename,
    UnitDetails,
    Update,
    parse_change_set,
)
from orgcodes.directory import (
    DirectoryDiff,
    DirectoryRecord,
    diff_directory,
    export_records,
    read_csv,
    read_directory,
    read_json,
    write_csv,
    write_json,
)
from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.registry import Registry

T2020 = datetime(2020, 1, 1, tzinfo=UTC)
T2025 = datetime(2025, 7, 1, tzinfo=UTC)

PROVINCE = "000.00.00.H53"
DEPT = "000.00.01.H53"
OFFICE = "000.01.01.H53"
DISTRICT = "000.00.21.H53"
COMMUNE = "000.01.21.H53"
MINISTRY = "000.00.00.G22"

Row = dict[str, Any]


def rows() -> list[Row]:
    """A small directory, children before their parents, the parents written in both formats."""
    return [
        row(COMMUNE, "H53.21.01", "UBND xã Hòa Khánh", "H53.21", 3),
        row(OFFICE, "H53.01.01", "Phòng Hành chính Sở Tư pháp", DEPT, 3, oldCode="000.00.99.H53"),
        row(DISTRICT, "H53.21", "UBND huyện Đức Hòa", PROVINCE, 2),
        row(DEPT, "H53.01", "Sở Tư pháp tỉnh Tây Ninh", "H53", 2, mail="sotuphap@tayninh.gov.vn"),
        row(PROVINCE, "H53", "UBND tỉnh Tây Ninh", "", 1),
        row(MINISTRY, "G22", "Văn phòng Chính phủ", None, 1),
    ]


def row(code102: str, code: str, name: str, pcode: str | None, level: int, **more: Any) -> Row:
    return {
        "id": 1000 + level,
        "code": code,
        "code102": code102,
        "name": name,
        "pcode": pcode,
        "level": level,
        "oldCode": "",
        "version": 3,
        "deleted": False,
        "modifyDate": "2024-05-02 10:00:00",
        **more,
    }


def as_json(records: list[Row]) -> bytes:
    return json.dumps(records, ensure_ascii=False).encode()


def as_csv(records: list[Row], *, bom: bool = False) -> bytes:
    columns = list(dict.fromkeys(name for record in records for name in record))
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, columns)
    writer.writeheader()
    for record in records:
        writer.writerow({name: _csv_value(record.get(name)) for name in columns})
    return ("\ufeff" if bom else "").encode() + text.getvalue().encode()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def refusal(error: pytest.ExceptionInfo[RegistryError]) -> str:
    assert error.value.code is RegistryCode.DIRECTORY_MALFORMED
    return error.value.message


def diff(
    records: list[DirectoryRecord], registry: Registry, *, effective: datetime = T2025
) -> DirectoryDiff:
    return diff_directory(records, registry, effective=effective, reason="directory import")


def imported(records: list[DirectoryRecord], registry: Registry | None = None) -> Registry:
    registry = registry or Registry()
    result = diff(records, registry, effective=T2020 if not len(registry) else T2025)
    assert result.change_set is not None
    return registry.apply(result.change_set).registry


def with_changes(records: list[Row], code102: str, **values: Any) -> list[Row]:
    return [{**record, **values} if record["code102"] == code102 else record for record in records]


# --- reading ------------------------------------------------------------------------------


def test_json_and_csv_of_the_same_records_read_the_same() -> None:
    from_json = read_json(as_json(rows()))
    from_csv = read_csv(as_csv(rows()))
    assert from_json == from_csv
    dept = from_json[3]
    assert dept == DirectoryRecord(
        code="H53.01",
        code102=DEPT,
        name="Sở Tư pháp tỉnh Tây Ninh",
        pcode="H53",
        level=2,
        old_codes=(),
        version=3,
        deleted=False,
        modify_date="2024-05-02 10:00:00",
        email="sotuphap@tayninh.gov.vn",
        row=4,
    )
    assert (dept.unit_code, dept.alt_code) == (DEPT, "H53.01")
    assert from_json[4].pcode is None  # empty means absent


def test_a_record_with_one_code_is_keyed_by_it() -> None:
    only_qd20, same = read_json(
        as_json(
            [
                {"code": "G09.01", "name": "Cục A", "level": 2},
                {"code": MINISTRY, "code102": MINISTRY, "name": "VPCP", "level": 1},
            ]
        )
    )
    assert (only_qd20.unit_code, only_qd20.alt_code) == ("G09.01", None)
    assert (same.unit_code, same.alt_code) == (MINISTRY, None)


@pytest.mark.parametrize(
    ("field", "value", "attribute", "expected"),
    [
        ("level", "2", "level", 2),
        ("level", " 2 ", "level", 2),
        ("level", 2.0, "level", 2),
        ("deleted", True, "deleted", True),
        ("deleted", "true", "deleted", True),
        ("deleted", "FALSE", "deleted", False),
        ("deleted", 1, "deleted", True),
        ("deleted", 0, "deleted", False),
        ("deleted", "1", "deleted", True),
        ("deleted", "0", "deleted", False),
        ("deleted", "", "deleted", False),
        ("deleted", None, "deleted", False),
        ("version", "17", "version", 17),
        ("version", 17, "version", 17),
        ("version", "", "version", None),
        ("oldCode", "", "old_codes", ()),
        ("oldCode", "000.00.98.H53", "old_codes", ("000.00.98.H53",)),
        ("oldCode", "000.00.98.H53,H53.98", "old_codes", ("000.00.98.H53", "H53.98")),
        ("oldCode", "000.00.98.H53; H53.98;", "old_codes", ("000.00.98.H53", "H53.98")),
        ("oldCode", ["H53.98"], "old_codes", ("H53.98",)),
        ("code102", "", "code102", None),
        ("pcode", "  ", "pcode", None),
        ("mail", "", "email", None),
        ("email", "a@b.vn", "email", "a@b.vn"),
        ("mobile", 842763822222, "phone", "842763822222"),
        ("phone", "0276 3822 222", "phone", "0276 3822 222"),
        ("fax", "0276 3822 223", "fax", "0276 3822 223"),
        ("modifyDate", 1714640000000, "modify_date", "1714640000000"),
        ("somethingElse", {"nested": [1, 2]}, "name", "UBND huyện Đức Hòa"),
    ],
)
def test_lenient_forms_of_real_exports_are_accepted(
    field: str, value: Any, attribute: str, expected: Any
) -> None:
    record = {**rows()[2], field: value}
    assert getattr(read_json(as_json([record]))[0], attribute) == expected
    if not isinstance(value, list | dict | float):
        assert getattr(read_csv(as_csv([record]))[0], attribute) == expected


def test_csv_with_a_bom_and_blank_lines_reads_the_same() -> None:
    data = as_csv(rows(), bom=True).replace(b"\r\n", b"\r\n\r\n", 1) + b",,,,,,,,,,\r\n"
    assert read_csv(data) == read_json(as_json(rows()))


def test_the_national_api_reply_is_accepted() -> None:
    reply = json.dumps({"status": "OK", "data": rows()}).encode()
    assert read_json(reply) == read_json(as_json(rows()))


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"code": None}, 'record 2, field "code": is missing'),
        ({"code": ""}, 'record 2, field "code": is missing'),
        ({"name": " "}, 'record 2 (H53.01.01), field "name": is missing'),
        ({"name": 7}, 'record 2 (H53.01.01), field "name": expected text'),
        ({"level": None}, 'record 2 (H53.01.01), field "level": is missing'),
        ({"level": 0}, 'record 2 (H53.01.01), field "level": 0 is not a level'),
        ({"level": "10"}, "record 2 (H53.01.01), field \"level\": '10' is not a level"),
        ({"level": "two"}, "field \"level\": 'two' is not a level"),
        ({"level": 2.5}, 'field "level": 2.5 is not a level'),
        ({"level": True}, 'field "level": True is not a level'),
        ({"code": "h53.01.01"}, 'record 2, field "code": "h53.01.01" is not'),
        ({"code102": "000.01.0X.H53"}, 'record 2 (H53.01.01), field "code102": '),
        ({"pcode": "000-00-01-H53"}, 'record 2 (H53.01.01), field "pcode": '),
        ({"oldCode": "000.00.99.H53,bad"}, 'record 2 (H53.01.01), field "oldCode": "bad"'),
        ({"deleted": "maybe"}, "field \"deleted\": 'maybe' is not a flag"),
        ({"deleted": 2}, 'field "deleted": 2 is not a flag'),
        ({"version": "v3"}, "field \"version\": 'v3' is not a version"),
        ({"mail": "x" * 501}, 'field "mail": is longer than 500 characters'),
        ({"code102": COMMUNE}, f'record 2 (H53.01.01), field "code102": {COMMUNE} is already in'),
        ({"code": "H53.21.01"}, 'record 2 (H53.21.01), field "code": H53.21.01 is already in '),
    ],
)
def test_what_matters_is_refused_naming_the_record_and_field(change: Row, fragment: str) -> None:
    records = rows()
    records[1] = {**records[1], **change}
    with pytest.raises(RegistryError) as error:
        read_json(as_json(records))
    assert fragment in refusal(error)
    if not isinstance(change.get("name"), int):
        with pytest.raises(RegistryError) as error:
            read_csv(as_csv(records))
        assert fragment.split(":")[0] in refusal(error)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b'{"code": "H53"}', "must be a JSON list of records"),
        (b'"H53"', "must be a JSON list of records"),
        (b'{"status": "OK", "data": {}}', "must be a JSON list of records"),
        (b'{"status": "ERROR", "message": "busy"}', "has status 'ERROR'"),
        (b'[{"code": "H53"', "is not JSON"),
        (b"\xff\xfe\x00", "is not JSON"),
        (b"[" * 100_000, "is not JSON"),
        (b'[{"code": "H53", "name": "UBND", "level": 1}, ["G22"]]', "record 2: expected an object"),
        (b'[{"code": "H53", "name": "UBND", "level": 1}, null]', "record 2: expected an object"),
    ],
)
def test_a_json_file_of_the_wrong_shape_is_refused(data: bytes, fragment: str) -> None:
    with pytest.raises(RegistryError) as error:
        read_json(data)
    assert fragment in refusal(error)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"code,name\r\nH53,UBND\r\n", 'the CSV header has no column "level"'),
        (b"code,name,level,Code\r\n", 'names the column "Code" twice'),
        (b"code,name,level\r\nH53,UBND,1\r\nG22,VP, CP,1\r\n", "record 2 (line 3) has 4 values"),
        (b"code,name,level\r\nH53,UBND t\xe1,1\r\n", "not UTF-8 (byte 28)"),
        (b'code,name,level\r\nH53,"UBND,1\r\nG22,VPCP,1\r\n', "cannot be read at line 3"),
    ],
)
def test_a_csv_file_of_the_wrong_shape_is_refused(data: bytes, fragment: str) -> None:
    with pytest.raises(RegistryError) as error:
        read_csv(data)
    assert fragment in refusal(error)


def test_an_empty_file_has_no_records() -> None:
    assert read_json(b"[]") == read_csv(b"") == read_csv(b"code,name,level\r\n") == []


def test_a_file_over_the_limit_is_refused_before_it_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = as_json(rows())
    monkeypatch.setattr(directory, "MAX_DIRECTORY_BYTES", len(data) - 1)
    path = tmp_path / "directory.json"
    path.write_bytes(data)
    readers: list[Callable[[], object]] = [
        lambda: read_json(data),
        lambda: read_json(io.BytesIO(data)),
        lambda: read_directory(path),
    ]
    for read in readers:
        with pytest.raises(RegistryError) as error:
            read()
        assert f"has {len(data)} bytes" in refusal(error)


def test_read_directory_takes_the_format_from_the_suffix_and_reports_progress(
    tmp_path: Path,
) -> None:
    (tmp_path / "units.JSON").write_bytes(as_json(rows()))
    (tmp_path / "units.csv").write_bytes(as_csv(rows()))
    (tmp_path / "units.txt").write_bytes(as_csv(rows()))
    seen: list[int] = []
    from_json = read_directory(tmp_path / "units.JSON", on_record=seen.append)
    assert seen == [len(rows())]
    assert read_directory(tmp_path / "units.csv") == from_json
    assert read_directory(tmp_path / "units.txt", format="csv") == from_json
    with pytest.raises(RegistryError) as error:
        read_directory(tmp_path / "units.txt")
    assert "units.txt: cannot tell whether" in refusal(error)


def test_twenty_thousand_records_are_read_with_progress() -> None:
    generated = [
        {
            "code": f"H53.{n // 1000 + 1:02d}.01.{n % 1000:03d}",
            "code102": f"{n % 1000:03d}.01.{n // 1000 + 1:02d}.H53",
            "name": f"Đơn vị {n}",
            "pcode": "000.00.00.H53",
            "level": "3",
            "deleted": "0",
        }
        for n in range(20_000)
    ]
    progress: list[int] = []
    records = read_json(as_json(generated), on_record=progress.append)
    assert len(records) == 20_000
    assert progress == list(range(1000, 20_001, 1000))
    assert read_csv(as_csv(generated)) == records
    assert records[-1].row == 20_000


# --- comparing with the registry ----------------------------------------------------------


def test_a_file_creates_every_unit_parents_first_and_applies_to_an_empty_registry() -> None:
    records = read_json(as_json(rows()))
    result = diff(records, Registry(), effective=T2020)
    assert result.change_set is not None
    creates = result.change_set.changes
    assert all(isinstance(change, Create) for change in creates)
    order = [change.code for change in creates if isinstance(change, Create)]
    assert order == [PROVINCE, MINISTRY, DISTRICT, DEPT, COMMUNE, OFFICE]
    assert (result.created, result.unchanged, result.notes) == (6, 0, ())

    registry = Registry().apply(result.change_set).registry
    assert registry.get(COMMUNE).parent == DISTRICT  # type: ignore[union-attr]  # was "H53.21"
    assert registry.get(DEPT).parent == PROVINCE  # type: ignore[union-attr]  # was "H53"
    dept = registry.get(DEPT)
    assert dept is not None
    assert (dept.alt_code, dept.contact.email) == ("H53.01", "sotuphap@tayninh.gov.vn")
    assert registry.get(OFFICE).old_codes == ("000.00.99.H53",)  # type: ignore[union-attr]

    again = diff(records, registry)
    assert again.change_set is None
    assert again.unchanged == len(records)


def test_the_change_set_of_a_diff_reads_back_from_its_published_json() -> None:
    result = diff(read_json(as_json(rows())), Registry(), effective=T2020)
    assert result.change_set is not None
    assert parse_change_set(result.change_set.dumps()) == result.change_set


def test_a_changed_name_parent_contact_and_deleted_row_make_rename_move_update_close() -> None:
    registry = imported(read_json(as_json(rows())))
    changed = with_changes(rows(), OFFICE, name="Văn phòng Sở Tư pháp", pcode="H53")
    changed = with_changes(changed, DEPT, mail="vanthu@tayninh.gov.vn", oldCode="H53.99")
    changed = with_changes(changed, COMMUNE, deleted="1")
    changed = with_changes(changed, MINISTRY, mail="")  # empty: the registry's value stays
    result = diff(read_json(as_json(changed)), registry)
    assert result.change_set is not None
    assert result.change_set.changes == (
        Rename(OFFICE, "Văn phòng Sở Tư pháp"),
        Move(OFFICE, PROVINCE),
        Update(DEPT, {"old_codes": ("H53.99",), "email": "vanthu@tayninh.gov.vn"}),
        Close(COMMUNE),
    )
    counts = (result.renamed, result.moved, result.updated, result.closed, result.unchanged)
    assert counts == (1, 1, 1, 1, 3)
    after = registry.apply(result.change_set).registry
    assert not after.get(COMMUNE).active  # type: ignore[union-attr]
    assert after.get(OFFICE).parent == PROVINCE  # type: ignore[union-attr]


def test_an_alternate_code_that_changes_or_goes_is_updated() -> None:
    registry = imported(read_json(as_json(rows())))
    changed = with_changes(rows(), DEPT, code="H53.01A")
    changed = with_changes(changed, DISTRICT, code=DISTRICT)
    result = diff(read_json(as_json(changed)), registry)
    assert result.change_set is not None
    assert result.change_set.changes == (
        Update(DISTRICT, {"alt_code": None}),
        Update(DEPT, {"alt_code": "H53.01A"}),
    )


def test_a_parent_written_as_an_alias_known_to_the_registry_is_translated() -> None:
    registry = imported(read_json(as_json(rows())))
    new = row("000.02.21.H53", "H53.21.02", "UBND xã Đức Lập", "H53.21", 3)
    old_code = row("000.03.21.H53", "H53.21.03", "UBND xã Mỹ Hạnh", "000.00.99.H53", 3)
    result = diff(read_json(as_json([new, old_code])), registry)
    assert result.change_set is not None
    parents = [c.parent for c in result.change_set.changes if isinstance(c, Create)]
    assert parents == [DISTRICT, OFFICE]  # 000.00.99.H53 is an old code of OFFICE


def test_an_unknown_parent_is_left_for_the_registry_to_refuse() -> None:
    orphan = row("000.01.77.H53", "H53.77.01", "UBND xã Lạ", "H53.77", 3)
    result = diff(read_json(as_json([orphan])), Registry(), effective=T2020)
    assert result.change_set is not None
    assert result.change_set.changes[0] == Create(
        "000.01.77.H53", "UBND xã Lạ", "H53.77", 3, UnitDetails(alt_code="H53.77.01")
    )
    with pytest.raises(RegistryError) as error:
        Registry().apply(result.change_set)
    assert error.value.code is RegistryCode.PARENT_UNKNOWN


def test_a_parent_equal_to_the_unit_itself_means_no_parent() -> None:
    records = read_json(as_json([row(PROVINCE, "H53", "UBND tỉnh Tây Ninh", "H53", 1)]))
    result = diff(records, Registry(), effective=T2020)
    assert result.change_set is not None
    assert result.change_set.changes[0].parent is None  # type: ignore[union-attr]


def test_closed_units_are_not_reopened_levels_not_changed_and_unknown_deletions_skipped() -> None:
    registry = imported(read_json(as_json(rows())))
    closed = ChangeSet(T2025, "test", (Close(MINISTRY),))
    registry = registry.apply(closed).registry
    changed = with_changes(rows(), DEPT, level=3)
    changed.append(row("000.09.21.H53", "H53.21.09", "UBND xã cũ", DISTRICT, 3, deleted=True))
    result = diff(read_json(as_json(changed)), registry, effective=datetime(2025, 8, 1, tzinfo=UTC))
    assert result.change_set is None
    assert result.unchanged == len(changed)
    assert result.notes == (
        "record 4: 000.00.01.H53 has level 3 in the file but 2 in the registry; the level of an "
        "existing unit is not changed",
        "record 6: 000.00.00.G22 (Văn phòng Chính phủ) is closed in the registry since "
        "2025-07-01 but not deleted in the file; it stays closed, as codes are never reused",
        "record 7: 000.09.21.H53 is deleted in the file and not in the registry; skipped",
    )


def test_notes_are_capped() -> None:
    deleted = [
        row(f"000.{n:02d}.21.H53", f"H53.21.{n:02d}", "xã", DISTRICT, 3, deleted=True)
        for n in range(1, 61)
    ]
    result = diff(read_json(as_json(deleted)), Registry())
    assert len(result.notes) == directory.MAX_NOTES + 1
    assert result.notes[-1] == "and 10 more"


def test_a_registry_keyed_by_the_other_code_is_matched_not_recreated() -> None:
    keyed_by_qd20 = imported(
        [
            DirectoryRecord(r.code102 or r.code, r.code, r.name, r.pcode, r.level, row=r.row)
            for r in read_json(as_json(rows()))
        ]
    )
    assert "H53.01" in keyed_by_qd20
    assert keyed_by_qd20.get("H53.01.01").parent == "H53.01"  # type: ignore[union-attr]
    result = diff(read_json(as_json(rows())), keyed_by_qd20)
    assert result.change_set is not None
    assert result.change_set.changes == (
        Update("H53.01.01", {"old_codes": ("000.00.99.H53",)}),
        Update("H53.01", {"email": "sotuphap@tayninh.gov.vn"}),
    )


def test_a_naive_effective_time_is_refused() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        diff_directory([], Registry(), effective=datetime(2025, 7, 1), reason="x")


# --- writing ------------------------------------------------------------------------------


def evolved() -> Registry:
    registry = imported(read_json(as_json(rows())))
    changes = ChangeSet(
        T2025,
        "test",
        (
            Rename(COMMUNE, "UBND phường Hòa Khánh"),
            Move(COMMUNE, PROVINCE),
            Close(DISTRICT),
            Create("G22.05", "Cục Kiểm soát TTHC", MINISTRY, 2),
        ),
    )
    return registry.apply(changes).registry


def active_units(registry: Registry) -> dict[str, tuple[Any, ...]]:
    return {
        h.code: (h.current.name, h.current.parent, h.current.level, h.current.alt_code)
        for h in registry
        if h.current.active
    }


def test_export_writes_both_codes_parents_and_closed_units_as_deleted() -> None:
    registry = evolved()
    records = export_records(registry)
    assert [r.code for r in records] == sorted(r.code for r in records)
    by_code = {r.code: r for r in records}
    commune = by_code["H53.21.01"]
    assert (commune.code102, commune.pcode, commune.version) == (COMMUNE, PROVINCE, 2)
    assert commune.modify_date == T2025.isoformat()
    assert by_code["H53.21"].deleted
    assert (by_code["G22.05"].code102, by_code["G22.05"].deleted) == (None, False)
    assert by_code["H53.01"].email == "sotuphap@tayninh.gov.vn"
    before = {r.code: r for r in export_records(registry, at=T2020)}
    assert "G22.05" not in before
    assert before["H53.21.01"].name == "UBND xã Hòa Khánh"


@pytest.mark.parametrize(("write", "read"), [(write_json, read_json), (write_csv, read_csv)])
def test_export_then_import_reproduces_the_active_units(write: Any, read: Any) -> None:
    registry = evolved()
    stream = io.BytesIO()
    write(export_records(registry), stream)
    assert not stream.closed
    records = read(stream.getvalue())
    assert records == export_records(registry)
    result = diff(records, Registry(), effective=T2020)
    assert result.closed == 0
    assert result.notes == (
        f"record {records.index(next(r for r in records if r.deleted)) + 1}: {DISTRICT} is "
        "deleted in the file and not in the registry; skipped",
    )
    assert result.change_set is not None
    copy = Registry().apply(result.change_set).registry
    assert active_units(copy) == active_units(registry)
    assert diff(records, registry).change_set is None


def test_written_files_use_the_import_column_names() -> None:
    records = export_records(evolved())
    as_text = io.BytesIO()
    write_csv(records, as_text)
    header = as_text.getvalue().decode().splitlines()[0]
    assert header == "code,code102,name,pcode,level,oldCode,version,deleted,modifyDate,mail"
    assert ",true," in as_text.getvalue().decode()
    as_json_text = io.BytesIO()
    write_json(records, as_json_text)
    objects = json.loads(as_json_text.getvalue())
    office = next(o for o in objects if o["code"] == "H53.01.01")
    assert office["oldCode"] == "000.00.99.H53"
    assert office["deleted"] is False
    assert "mail" not in office
    empty = io.BytesIO()
    write_json([], empty)
    assert json.loads(empty.getvalue()) == []


def test_a_commune_whose_code_skips_the_district_level_is_imported_with_a_note() -> None:
    """After 2025 a commune hangs from its province; its QCVN 102 code may keep the commune's
    group with the district group zeroed (000.07.00.H53). Its parent is the record's own."""
    records = rows()
    records.append(row("000.07.00.H53", "H53.07", "UBND xã mới", PROVINCE, 2))
    result = diff(read_json(as_json(records)), Registry(), effective=T2020)
    assert result.change_set is not None and result.created == len(records)
    assert result.notes == (
        "record 7: 000.07.00.H53 skips a level (an all-zero group above a non-zero one); "
        "accepted, its parent being the record's explicit parent",
    )
    registry = Registry().apply(result.change_set).registry
    assert registry.get("000.07.00.H53").parent == PROVINCE  # type: ignore[union-attr]
