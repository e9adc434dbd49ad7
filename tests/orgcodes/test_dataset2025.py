"""The generated 2025 dataset: valid codes, the real totals, and change sets the registry accepts.

The registry itself is not imported: a small replay below applies the change sets with the
registry's semantics (codes never reused, merge/split successors, active parents after each
change set, no parent cycles), so the dataset is checked on its own terms.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from axis.devtools.dataset2025 import (
    BASELINE_EFFECTIVE,
    REARRANGEMENT_EFFECTIVE,
    Dataset2025,
    build_dataset,
    write_dataset,
)

_QCVN102 = re.compile(r"^(\d{3})\.(\d{2})\.(\d{2})\.([A-Z]\d{2})$")
_PROVINCE_CODE = re.compile(r"^000\.00\.00\.H\d{2}$")
_MINISTRY_CODE = re.compile(r"^000\.00\.00\.G\d{2}$")

# Copied from /work/shared/domain/orgcodes.md, "Provincial mergers of 2025".
_ORGCODES_MD_MERGERS = (
    "Tuyen Quang = Tuyen Quang + Ha Giang; Lao Cai = Lao Cai + Yen Bai; "
    "Thai Nguyen = Thai Nguyen + Bac Kan; "
    "Phu Tho = Phu Tho + Vinh Phuc + Hoa Binh; Bac Ninh = Bac Ninh + Bac Giang; "
    "Hung Yen = Hung Yen + Thai Binh; "
    "Hai Phong = Hai Phong + Hai Duong; Ninh Binh = Ninh Binh + Ha Nam + Nam Dinh; "
    "Quang Tri = Quang Tri + Quang Binh; "
    "Da Nang = Da Nang + Quang Nam; Quang Ngai = Quang Ngai + Kon Tum; "
    "Gia Lai = Gia Lai + Binh Dinh; "
    "Khanh Hoa = Khanh Hoa + Ninh Thuan; Lam Dong = Lam Dong + Dak Nong + Binh Thuan; "
    "Dak Lak = Dak Lak + Phu Yen; "
    "Ho Chi Minh City = HCMC + Binh Duong + Ba Ria-Vung Tau; Dong Nai = Dong Nai + Binh Phuoc; "
    "Tay Ninh = Tay Ninh + Long An; Can Tho = Can Tho + Soc Trang + Hau Giang; "
    "Vinh Long = Vinh Long + Ben Tre + Tra Vinh; "
    "Dong Thap = Dong Thap + Tien Giang; Ca Mau = Ca Mau + Bac Lieu; "
    "An Giang = An Giang + Kien Giang."
)
_ORGCODES_MD_UNCHANGED = (
    "Ha Noi, Hue, Lai Chau, Dien Bien, Son La, Lang Son, Quang Ninh, Thanh Hoa, Nghe An, "
    "Ha Tinh, Cao Bang."
)
_ALIASES = {"HCMC": "Ho Chi Minh", "Ba Ria-Vung Tau": "Ba Ria - Vung Tau", "Hue": "Thua Thien Hue"}
_CLOSED_MINISTRIES = {f"000.00.00.G{n:02d}" for n in (4, 5, 7, 13, 23, 24, 25, 26, 34, 37)}
_NEW_MINISTRIES = {f"000.00.00.G{n:02d}" for n in (38, 39, 40)}


def _depth(code: str) -> int | None:
    """The level a QCVN 102 code names, or None when it is malformed or skips a level."""
    match = _QCVN102.match(code)
    if match is None:
        return None
    v, z, y, _ = match.groups()
    present = [group.strip("0") != "" for group in (y, z, v)]
    if present != sorted(present, reverse=True):
        return None
    return 1 + present.count(True)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _province_short_name(unit_name: str) -> str:
    for prefix in ("Ủy ban nhân dân tỉnh ", "Ủy ban nhân dân thành phố "):
        if unit_name.startswith(prefix):
            return _fold(unit_name.removeprefix(prefix))
    raise AssertionError(f"not a provincial People's Committee: {unit_name}")


# --- the replay ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    level: int
    parent: str | None
    active: bool = True
    successors: tuple[str, ...] = ()
    old_codes: tuple[str, ...] = ()


class _Replay:
    """Applies change sets with the registry's semantics; fails on the first violation."""

    def __init__(self) -> None:
        self.units: dict[str, _Entry] = {}
        self.children: dict[str, set[str]] = defaultdict(set)
        # Stricter than the registry: the generator writes changes bottom-up, so no unit is
        # ever closed while an active unit is still under it.
        self.closed_over_active_children: list[str] = []

    def apply(self, change_set: Mapping[str, Any]) -> None:
        for change in change_set["changes"]:
            getattr(self, "_" + change["op"])(change)
        self._check_end_state()

    def snapshot(self) -> dict[str, _Entry]:
        return dict(self.units)

    def _active(self, code: str) -> _Entry:
        entry = self.units.get(code)
        assert entry is not None, f"{code} does not exist"
        assert entry.active, f"{code} is closed"
        return entry

    def _create(self, change: Mapping[str, Any]) -> None:
        unit = change["unit"]
        code = unit["code"]
        assert code not in self.units, f"{code} is created a second time"
        assert _depth(code) == unit["level"], f"{code} has level {unit['level']}"
        parent = unit["parent"]
        if parent is not None:
            self._active(parent)
            self.children[parent].add(code)
        self.units[code] = _Entry(
            unit["name"], unit["level"], parent, old_codes=tuple(unit.get("old_codes", ()))
        )

    def _rename(self, change: Mapping[str, Any]) -> None:
        code = change["code"]
        self.units[code] = replace(self._active(code), name=change["name"])

    def _move(self, change: Mapping[str, Any]) -> None:
        code, parent = change["code"], change["parent"]
        entry = self._active(code)
        assert parent in self.units, f"{code} moved under unknown {parent}"
        if entry.parent is not None:
            self.children[entry.parent].discard(code)
        self.children[parent].add(code)
        self.units[code] = replace(entry, parent=parent)

    def _merge(self, change: Mapping[str, Any]) -> None:
        into = change["into"]
        self._active(into)
        for code in change["from"]:
            if code != into:
                self._close_with(code, (into,))

    def _split(self, change: Mapping[str, Any]) -> None:
        successors = tuple(change["into"])
        assert len(successors) >= 2, f"split of {change['from']} into {successors}"
        for code in successors:
            self._active(code)
        self._close_with(change["from"], successors)

    def _close(self, change: Mapping[str, Any]) -> None:
        self._close_with(change["code"], ())

    def _close_with(self, code: str, successors: tuple[str, ...]) -> None:
        entry = self._active(code)
        if any(self.units[child].active for child in self.children[code]):
            self.closed_over_active_children.append(code)
        self.units[code] = replace(entry, active=False, successors=successors)

    def _check_end_state(self) -> None:
        for code, entry in self.units.items():
            if entry.active:
                if entry.parent is not None:
                    parent = self.units.get(entry.parent)
                    assert parent is not None and parent.active, f"{code} under {entry.parent}"
                seen = {code}
                ancestor = entry.parent
                while ancestor is not None:
                    assert ancestor not in seen, f"parent cycle through {code}"
                    seen.add(ancestor)
                    ancestor = self.units[ancestor].parent
            else:
                for successor in entry.successors:
                    assert self.units[successor].active, f"{code} -> closed {successor}"


@dataclass(frozen=True, slots=True)
class _Replayed:
    dataset: Dataset2025
    before: dict[str, _Entry]
    after: dict[str, _Entry]
    closed_over_active_children: list[str]
    baseline_communes: frozenset[str]  # level-3 units of provinces (only communes are)
    baseline_districts: frozenset[str]  # the parents of those communes

    def active(self, pattern: re.Pattern[str] | None = None, level: int | None = None) -> set[str]:
        return {
            code
            for code, entry in self.after.items()
            if entry.active
            and (pattern is None or pattern.match(code))
            and (level is None or entry.level == level)
        }


def _replay(dataset: Dataset2025) -> _Replayed:
    replay = _Replay()
    replay.apply(dataset.baseline)
    before = replay.snapshot()
    replay.apply(dataset.rearrangement)
    communes = frozenset(c for c, e in before.items() if e.level == 3 and c[-3] == "H")
    districts = frozenset(before[c].parent or "" for c in communes)
    return _Replayed(
        dataset, before, replay.snapshot(), replay.closed_over_active_children, communes, districts
    )


@pytest.fixture(scope="module")
def dataset() -> Dataset2025:
    return build_dataset()


@pytest.fixture(scope="module")
def replayed(dataset: Dataset2025) -> _Replayed:
    return _replay(dataset)


def _created_units(dataset: Dataset2025) -> Iterator[Mapping[str, Any]]:
    for change_set in (dataset.baseline, dataset.rearrangement):
        for change in change_set["changes"]:
            if change["op"] == "create":
                yield change["unit"]


# --- codes --------------------------------------------------------------------------------------


def test_every_code_is_a_qcvn102_code_whose_level_is_its_depth(dataset: Dataset2025) -> None:
    for unit in _created_units(dataset):
        assert _depth(unit["code"]) == unit["level"], unit


def test_depth_rejects_a_lower_group_under_an_empty_level() -> None:
    assert _depth("000.05.00.H41") is None
    assert _depth("000.00.00.H41") == 1
    assert _depth("000.03.21.H41") == 3


def test_alt_code_follows_the_illustrative_decision_20_convention(dataset: Dataset2025) -> None:
    for unit in _created_units(dataset):
        v, z, y, m = unit["code"].split(".")
        assert unit["alt_code"] == ".".join([m, *(g for g in (y, z, v) if g.strip("0"))])


def test_no_code_is_created_twice(dataset: Dataset2025) -> None:
    codes = [unit["code"] for unit in _created_units(dataset)]
    assert len(codes) == len(set(codes))


def test_every_unit_has_an_illustrative_government_email(dataset: Dataset2025) -> None:
    for unit in _created_units(dataset):
        assert re.fullmatch(r"vanthu@[a-z0-9.]+\.gov\.vn", unit["email"]), unit


def test_known_codes_name_their_real_units(replayed: _Replayed) -> None:
    names = {code: replayed.before[code].name for code in replayed.before}
    assert names["000.00.00.H41"] == "Ủy ban nhân dân tỉnh Nghệ An"
    assert names["000.00.00.H49"] == "Ủy ban nhân dân tỉnh Quảng Ninh"
    assert names["000.00.00.H53"] == "Ủy ban nhân dân tỉnh Tây Ninh"
    assert names["000.00.00.G22"] == "Văn phòng Chính phủ"
    assert names["000.00.00.H24"].endswith("thành phố Hà Nội")


# --- the baseline -------------------------------------------------------------------------------


def test_the_change_sets_carry_their_effective_times(dataset: Dataset2025) -> None:
    assert dataset.baseline["effective"] == BASELINE_EFFECTIVE == "2020-01-01T00:00:00+07:00"
    assert dataset.rearrangement["effective"] == REARRANGEMENT_EFFECTIVE
    assert REARRANGEMENT_EFFECTIVE == "2025-07-01T00:00:00+07:00"
    assert dataset.baseline["reason"] and dataset.rearrangement["reason"]


def test_the_baseline_has_63_provinces_about_700_districts_and_10035_communes(
    replayed: _Replayed,
) -> None:
    before = replayed.before
    provinces = {c for c in before if _PROVINCE_CODE.match(c)}
    assert len(provinces) == 63
    assert {int(c[-2:]) for c in provinces} == set(range(1, 64))
    assert 690 <= len(replayed.baseline_districts) <= 710
    assert len(replayed.baseline_communes) == 10_035
    assert all(
        before[d].level == 2 and before[d].parent in provinces for d in replayed.baseline_districts
    )
    assert {c for c in before if _MINISTRY_CODE.match(c)} == {
        f"000.00.00.G{n:02d}" for n in range(1, 38)
    }


def test_the_baseline_names_communes_as_communes_wards_and_townships(replayed: _Replayed) -> None:
    kinds = {replayed.before[c].name.split(" ")[0] for c in replayed.baseline_communes}
    assert kinds == {"Xã", "Phường", "Thị"}


def test_every_province_has_departments(replayed: _Replayed) -> None:
    departments: dict[str, int] = defaultdict(int)
    for code, entry in replayed.before.items():
        if entry.level == 2 and code not in replayed.baseline_districts and code[-3] == "H":
            departments[entry.parent or ""] += 1
    assert len(departments) == 63
    assert all(15 <= count <= 20 for count in departments.values())


# --- after 2025 ---------------------------------------------------------------------------------


def test_after_2025_there_are_34_provinces_and_29_closed_ones(replayed: _Replayed) -> None:
    assert len(replayed.active(_PROVINCE_CODE)) == 34
    closed = {c for c, e in replayed.after.items() if _PROVINCE_CODE.match(c) and not e.active}
    assert len(closed) == 29
    assert all(len(replayed.after[c].successors) == 1 for c in closed)


def test_the_province_mergers_are_those_of_orgcodes_md(replayed: _Replayed) -> None:
    code_of = {
        _province_short_name(replayed.before[c].name): c
        for c in replayed.before
        if _PROVINCE_CODE.match(c)
    }
    expected: dict[str, str] = {}
    for merger in _ORGCODES_MD_MERGERS.rstrip(".").split(";"):
        kept, *absorbed = (
            _ALIASES.get(name.strip(), name.strip()) for name in merger.split("=")[1].split("+")
        )
        expected.update((code_of[name], code_of[kept]) for name in absorbed)
    actual = {
        code: entry.successors[0]
        for code, entry in replayed.after.items()
        if _PROVINCE_CODE.match(code) and not entry.active
    }
    assert actual == expected
    assert actual[code_of["Long An"]] == "000.00.00.H53"
    unchanged = {
        code_of[_ALIASES.get(n.strip(), n.strip())]
        for n in _ORGCODES_MD_UNCHANGED.rstrip(".").split(",")
    }
    assert replayed.active(_PROVINCE_CODE) == unchanged | set(expected.values())
    assert replayed.after["000.00.00.H57"].name == "Ủy ban nhân dân thành phố Huế"


def test_after_2025_no_district_is_active(replayed: _Replayed) -> None:
    for district in replayed.baseline_districts:
        entry = replayed.after[district]
        assert not entry.active and entry.successors == ()


def test_after_2025_there_are_3321_communes_directly_under_provinces(replayed: _Replayed) -> None:
    communes = {c for c in replayed.active(level=3) if c[-3] == "H"}
    assert len(communes) == 3_321
    provinces = replayed.active(_PROVINCE_CODE)
    assert all(replayed.after[c].parent in provinces for c in communes)
    kinds: dict[str, int] = defaultdict(int)
    for code in communes:
        name = replayed.after[code].name
        kinds[next(k for k in ("Xã ", "Phường ", "Đặc khu ") if name.startswith(k))] += 1
    assert kinds == {"Xã ": 2_636, "Phường ": 672, "Đặc khu ": 13}


def test_commune_names_are_unique_within_each_province(replayed: _Replayed) -> None:
    seen: set[tuple[str | None, str]] = set()
    for code in replayed.active(level=3):
        entry = replayed.after[code]
        assert (entry.parent, entry.name) not in seen, entry
        seen.add((entry.parent, entry.name))


def test_every_active_unit_has_an_active_parent(replayed: _Replayed) -> None:
    for code in replayed.active():
        parent = replayed.after[code].parent
        assert parent is None or replayed.after[parent].active, code


def test_every_closed_unit_points_at_active_successors(replayed: _Replayed) -> None:
    for code, entry in replayed.after.items():
        if not entry.active:
            assert all(replayed.after[s].active for s in entry.successors), code


def test_no_unit_is_closed_while_active_units_are_under_it(replayed: _Replayed) -> None:
    assert replayed.closed_over_active_children == []


def test_most_new_communes_are_new_codes_and_a_few_hundred_keep_theirs(
    replayed: _Replayed,
) -> None:
    communes = {c for c in replayed.active(level=3) if c[-3] == "H"}
    kept = communes & replayed.baseline_communes
    assert 100 <= len(kept) <= 1_000
    new = communes - kept
    assert all(c not in replayed.before for c in new)
    assert all(50 <= int(c.split(".")[2]) <= 99 for c in new)


def test_new_communes_record_the_codes_they_replace(replayed: _Replayed) -> None:
    facts = replayed.dataset.facts
    predecessors: dict[str, set[str]] = defaultdict(set)
    for old, new in facts.merged_communes.items():
        predecessors[new].add(old)
    for old, successors in facts.split_communes.items():
        for new in successors:
            predecessors[new].add(old)
    for code, entry in replayed.after.items():
        if entry.level == 3 and code not in replayed.before and code[-3] == "H":
            assert set(entry.old_codes) == predecessors[code], code
            assert len(entry.old_codes) >= 1


def test_a_handful_of_communes_are_split_and_none_of_them_merged(replayed: _Replayed) -> None:
    split = {c: e for c, e in replayed.after.items() if len(e.successors) > 1}
    assert 5 <= len(split) <= 10
    assert set(split) <= replayed.baseline_communes
    merged_sources = {
        code
        for change in replayed.dataset.rearrangement["changes"]
        if change["op"] == "merge"
        for code in change["from"]
    }
    assert not set(split) & merged_sources
    assert all(s not in replayed.before for e in split.values() for s in e.successors)


def test_every_old_commune_is_kept_merged_or_split(replayed: _Replayed) -> None:
    for code in replayed.baseline_communes:
        entry = replayed.after[code]
        assert entry.active or entry.successors, code


def test_the_ministries_of_decision_09_2025(replayed: _Replayed) -> None:
    closed = {c for c, e in replayed.after.items() if _MINISTRY_CODE.match(c) and not e.active}
    assert closed == _CLOSED_MINISTRIES
    assert _NEW_MINISTRIES.issubset(replayed.active(_MINISTRY_CODE))
    assert len(replayed.active(_MINISTRY_CODE)) == 37 - 10 + 3
    for code in closed:
        (successor,) = replayed.after[code].successors
        assert replayed.after[successor].active


# --- determinism, size and output ---------------------------------------------------------------


def test_the_same_seed_gives_the_same_output(dataset: Dataset2025) -> None:
    again = build_dataset()
    assert json.dumps(again.baseline) == json.dumps(dataset.baseline)
    assert json.dumps(again.rearrangement) == json.dumps(dataset.rearrangement)
    assert again.facts.to_json() == dataset.facts.to_json()


def test_another_seed_gives_another_but_equally_sized_dataset(dataset: Dataset2025) -> None:
    other = build_dataset(seed=7)
    assert json.dumps(other.baseline) != json.dumps(dataset.baseline)
    keys = ("provinces_after", "communes_before", "communes_after", "wards_after")
    assert {k: other.facts.counts[k] for k in keys} == {k: dataset.facts.counts[k] for k in keys}


def test_extra_units_adds_exactly_that_many_level_4_units(dataset: Dataset2025) -> None:
    bigger = build_dataset(extra_units=2_500)
    base = dataset.baseline["changes"]
    added = bigger.baseline["changes"][len(base) :]
    assert bigger.baseline["changes"][: len(base)] == base
    assert len(added) == 2_500
    assert all(change["unit"]["level"] == 4 for change in added)
    assert bigger.facts.counts["units_before"] == dataset.facts.counts["units_before"] + 2_500
    replayed = _replay(bigger)  # every level-4 unit follows its commune
    assert replayed.closed_over_active_children == []
    assert len(replayed.active(level=4)) == 2_500


def test_extra_units_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="extra_units"):
        build_dataset(extra_units=-1)


def test_write_dataset_writes_utf8_json(tmp_path: Path, dataset: Dataset2025) -> None:
    paths = write_dataset(tmp_path / "out", dataset)
    assert [p.name for p in paths] == ["baseline.json", "2025-07-01.json", "facts.json"]
    assert "Ủy ban nhân dân" in paths[0].read_text(encoding="utf-8")
    assert json.loads(paths[0].read_text(encoding="utf-8")) == dataset.baseline
    assert json.loads(paths[1].read_text(encoding="utf-8")) == dataset.rearrangement
    assert json.loads(paths[2].read_text(encoding="utf-8")) == dataset.facts.to_json()


# --- the facts agree with the replay ------------------------------------------------------------


def test_the_facts_agree_with_the_replay(replayed: _Replayed) -> None:
    facts = replayed.dataset.facts
    after = replayed.after
    closed_provinces = {
        c: e.successors[0] for c, e in after.items() if _PROVINCE_CODE.match(c) and not e.active
    }
    assert dict(facts.merged_provinces) == closed_provinces
    assert set(facts.unchanged_provinces) == replayed.active(_PROVINCE_CODE) - set(
        closed_provinces.values()
    )
    assert len(facts.unchanged_provinces) == 11
    for old, new in facts.merged_communes.items():
        assert after[old].successors == (new,) and after[new].active
    for old, successors in facts.split_communes.items():
        assert after[old].successors == successors
    closed_communes = {c for c in replayed.baseline_communes if not after[c].active}
    assert closed_communes == set(facts.merged_communes) | set(facts.split_communes)
    assert not set(facts.merged_communes) & set(facts.split_communes)
    assert set(facts.closed_districts) == replayed.baseline_districts
    assert dict(facts.closed_ministries) == {
        c: e.successors[0] for c, e in after.items() if _MINISTRY_CODE.match(c) and not e.active
    }
    counts = facts.counts
    assert counts["provinces_before"] == 63 and counts["provinces_after"] == 34
    assert counts["districts_before"] == len(replayed.baseline_districts)
    assert counts["districts_after"] == 0
    assert counts["communes_before"] == len(replayed.baseline_communes) == 10_035
    assert counts["communes_after"] == 3_321
    assert counts["communes_split"] == len(facts.split_communes)
    assert counts["communes_merged"] == len(facts.merged_communes)
    assert counts["ministries_before"] == 37 and counts["ministries_after"] == 30
    assert counts["units_before"] == len(replayed.before)
    assert counts["units_after"] == len(replayed.active())
    assert counts["extra_units"] == 0
