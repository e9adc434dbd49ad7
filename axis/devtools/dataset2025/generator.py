"""The generator: ministries, provinces, districts and communes before 2025, their 2025
rearrangement, and the dataset with its facts."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from axis.devtools.dataset2025.facts import (
    _COMMUNES_AFTER,
    _COMMUNES_BEFORE,
    _DEPARTMENT_KINDS,
    _DISTRICTS_BEFORE,
    _EXTRA_UNIT_KINDS,
    _FIRST_DISTRICT_GROUP,
    _FIRST_NEW_COMMUNE_GROUP,
    _KEEP_ABSORBING_SHARE,
    _LAST_DISTRICT_GROUP,
    _MAX_EXTRA_PER_COMMUNE,
    _MAX_GROUP,
    _MERGERS,
    _MINISTRIES,
    _MINISTRY_MERGERS,
    _MINISTRY_UNIT_KINDS,
    _NEW_MINISTRIES,
    _OPTIONAL_DEPARTMENT_SHARE,
    _PROVINCES,
    _RENAMED_2025,
    _SPECIAL_ZONES,
    _SPLIT_COUNT,
    _WARDS_AFTER,
    BASELINE_EFFECTIVE,
    BASELINE_REASON,
    COMMUNE,
    KNOWN_CODES,
    REARRANGEMENT_EFFECTIVE,
    REARRANGEMENT_REASON,
    SPECIAL_ZONE,
    TOWNSHIP,
    WARD,
    JsonObject,
)
from axis.devtools.dataset2025.units import (
    _alt_code,
    _apportion,
    _ChangeSet,
    _Child,
    _code,
    _consolidate,
    _fold,
    _Phones,
    _PlaceNames,
    _slug,
    _unit,
)


@dataclass(frozen=True, slots=True)
class Facts:
    """Handy facts about a generated dataset, for tests and demos.

    ``counts`` holds: provinces_before/after/closed, districts_before/after,
    departments_before/after, communes_before/after, communes_created, communes_kept,
    communes_merged, communes_split, rural_communes_after, wards_after, special_zones_after,
    ministries_before/after, ministry_units_before, extra_units, units_before (every unit the
    baseline creates) and units_after (active units after the 2025 change set).
    """

    merged_provinces: Mapping[str, str]
    unchanged_provinces: tuple[str, ...]
    merged_communes: Mapping[str, str]
    split_communes: Mapping[str, tuple[str, ...]]
    closed_districts: tuple[str, ...]
    closed_ministries: Mapping[str, str]
    counts: Mapping[str, int]

    def to_json(self) -> JsonObject:
        """The facts as plain JSON values."""
        return {
            "merged_provinces": dict(self.merged_provinces),
            "unchanged_provinces": list(self.unchanged_provinces),
            "merged_communes": dict(self.merged_communes),
            "split_communes": {old: list(new) for old, new in self.split_communes.items()},
            "closed_districts": list(self.closed_districts),
            "closed_ministries": dict(self.closed_ministries),
            "counts": dict(self.counts),
        }


@dataclass(frozen=True, slots=True)
class Dataset2025:
    """The baseline change set, the 2025 change set and facts about them."""

    baseline: dict[str, Any]
    rearrangement: dict[str, Any]
    facts: Facts


def build_dataset(*, extra_units: int = 0, seed: int = 2025) -> Dataset2025:
    """Generate the dataset; the same arguments always give the same output."""
    if extra_units < 0:
        raise ValueError(f"extra_units must not be negative, got {extra_units}")
    if extra_units > _MAX_EXTRA_PER_COMMUNE * _COMMUNES_BEFORE:
        raise ValueError(
            f"extra_units can be at most {_MAX_EXTRA_PER_COMMUNE * _COMMUNES_BEFORE} "
            f"({_MAX_EXTRA_PER_COMMUNE} per commune), got {extra_units}"
        )
    rng = random.Random(seed)  # noqa: S311 -- reproducible sample data, not a secret
    ministries = _generate_ministries(rng)
    provinces = _generate_provinces(rng)
    _add_extra_units(provinces, extra_units)
    baseline = _ChangeSet(BASELINE_EFFECTIVE, BASELINE_REASON)
    for ministry in ministries:
        ministry.emit(baseline)
    for province in provinces:
        province.emit(baseline)
    for province in provinces:
        province.emit_extra_units(baseline)
    plans = _plan_communes(rng, provinces)
    rearrangement = _ChangeSet(REARRANGEMENT_EFFECTIVE, REARRANGEMENT_REASON)
    closed_ministries = _rearrange_ministries(rearrangement, ministries)
    merged_provinces: dict[str, str] = {}
    for plan in plans:
        plan.emit(rearrangement)
        merged_provinces.update((p.code, plan.kept.code) for p in plan.absorbed)
    facts = _facts(
        provinces=provinces,
        ministries=ministries,
        plans=plans,
        merged_provinces=merged_provinces,
        closed_ministries=closed_ministries,
        extra_units=extra_units,
        baseline=baseline,
        rearrangement=rearrangement,
    )
    return Dataset2025(baseline.to_json(), rearrangement.to_json(), facts)


def write_dataset(directory: Path, dataset: Dataset2025) -> list[Path]:
    """Write baseline.json, 2025-07-01.json and facts.json into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    documents = {
        "baseline.json": dataset.baseline,
        "2025-07-01.json": dataset.rearrangement,
        "facts.json": dataset.facts.to_json(),
    }
    paths = []
    for name, document in documents.items():
        path = directory / name
        path.write_text(json.dumps(document, ensure_ascii=False, indent=None), encoding="utf-8")
        paths.append(path)
    return paths


# --- ministries ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ministry:
    number: int
    slug: str
    name: str
    units: list[_Child] = field(default_factory=list)

    @property
    def code(self) -> str:
        return _code("G", self.number)

    def unit_name(self, kind: str) -> str:
        return f"{dict(_MINISTRY_UNIT_KINDS)[kind]}, {self.name}"

    def phones(self) -> _Phones:
        return _Phones("024", 38_000_000 + 100 * self.number)

    def emit(self, changes: _ChangeSet) -> None:
        phones = self.phones()
        changes.create(_unit(self.code, self.name, None, self.slug, phones.take()))
        for unit in self.units:
            domain = f"{unit.kind}.{self.slug}"
            changes.create(_unit(unit.code, unit.name, self.code, domain, phones.take()))


def _generate_ministries(rng: random.Random) -> list[_Ministry]:
    ministries = []
    for number, (slug, name) in _MINISTRIES.items():
        ministry = _Ministry(number, slug, name)
        for y, (kind, _) in enumerate(_MINISTRY_UNIT_KINDS[: rng.randint(3, 6)], start=1):
            code = _code("G", number, y)
            ministry.units.append(_Child(kind, code, ministry.unit_name(kind)))
        ministries.append(ministry)
    return ministries


def _rearrange_ministries(changes: _ChangeSet, ministries: Sequence[_Ministry]) -> dict[str, str]:
    by_number = {ministry.number: ministry for ministry in ministries}
    for number, (slug, name) in _NEW_MINISTRIES.items():
        ministry = _Ministry(number, slug, name)
        changes.create(_unit(ministry.code, name, None, slug, ministry.phones().take()))
        by_number[number] = ministry
    closed: dict[str, str] = {}
    for successor_number, predecessors in _MINISTRY_MERGERS.items():
        successor = by_number[successor_number]
        _consolidate(
            changes,
            successor.code,
            successor.units,
            [by_number[number].units for number in predecessors],
            successor.unit_name,
        )
        sources = [by_number[number].code for number in predecessors]
        if successor_number in _MINISTRIES:
            sources.insert(0, successor.code)
        changes.merge(sources, successor.code)
        closed.update((by_number[number].code, successor.code) for number in predecessors)
    return closed


# --- provinces, districts and communes before 2025 ----------------------------------------------


@dataclass(slots=True)
class _Commune:
    code: str
    kind: str  # WARD, COMMUNE or TOWNSHIP
    place: str
    domain: str
    extra_codes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.kind} {self.place}"


@dataclass(slots=True)
class _District:
    code: str
    name: str
    domain: str
    communes: list[_Commune] = field(default_factory=list)


@dataclass(slots=True)
class _Province:
    number: int
    short_name: str
    is_city: bool
    departments: list[_Child] = field(default_factory=list)
    districts: list[_District] = field(default_factory=list)
    extra_units: list[JsonObject] = field(default_factory=list)

    @property
    def code(self) -> str:
        return _code("H", self.number)

    @property
    def name(self) -> str:
        return f"Ủy ban nhân dân {self.kind_word} {self.short_name}"

    @property
    def kind_word(self) -> str:
        return "thành phố" if self.is_city else "tỉnh"

    @property
    def slug(self) -> str:
        return _slug(self.short_name)

    @property
    def communes(self) -> list[_Commune]:
        return [commune for district in self.districts for commune in district.communes]

    def department_name(self, kind: str) -> str:
        kind_name = next(name for _, slug, name, _ in _DEPARTMENT_KINDS if slug == kind)
        return f"{kind_name} {self.kind_word} {self.short_name}"

    def phones(self, series: int = 0) -> _Phones:
        """Numbers of this province; each change set draws from its own series."""
        return _Phones(f"0{200 + self.number}", 3_820_000 + 10_000 * series)

    def emit(self, changes: _ChangeSet) -> None:
        phones = self.phones()
        changes.create(_unit(self.code, self.name, None, self.slug, phones.take()))
        for department in self.departments:
            domain = f"{department.kind}.{self.slug}"
            changes.create(
                _unit(department.code, department.name, self.code, domain, phones.take())
            )
        for district in self.districts:
            changes.create(
                _unit(district.code, district.name, self.code, district.domain, phones.take())
            )
            for commune in district.communes:
                changes.create(
                    _unit(commune.code, commune.name, district.code, commune.domain, phones.take())
                )

    def emit_extra_units(self, changes: _ChangeSet) -> None:
        for unit in self.extra_units:
            changes.create(unit)


def _province_numbers() -> dict[str, int]:
    """H-numbers: the known ones, then the rest alphabetically (without diacritics)."""
    known = {name: int(code[-2:]) for code, name in KNOWN_CODES.items() if code[-3] == "H"}
    free = sorted(set(range(1, len(_PROVINCES) + 1)) - set(known.values()))
    others = sorted((name for name, _ in _PROVINCES if name not in known), key=_fold)
    return {**known, **dict(zip(others, free, strict=True))}


def _generate_provinces(rng: random.Random) -> list[_Province]:
    numbers = _province_numbers()
    provinces = sorted(
        (_Province(numbers[name], name, is_city) for name, is_city in _PROVINCES),
        key=lambda province: province.number,
    )
    for province in provinces:
        for y, kind, _, always in _DEPARTMENT_KINDS:
            if always or rng.random() < _OPTIONAL_DEPARTMENT_SHARE:
                code = _code("H", province.number, y)
                province.departments.append(_Child(kind, code, province.department_name(kind)))
    weights = [rng.uniform(0.6, 1.4) * (1.5 if p.is_city else 1.0) for p in provinces]
    district_counts = _apportion(_DISTRICTS_BEFORE, weights)
    district_kinds = [
        _district_kinds(rng, p, n) for p, n in zip(provinces, district_counts, strict=True)
    ]
    flat_kinds = [kind for kinds in district_kinds for kind in kinds]
    commune_weights = [
        rng.uniform(0.5, 1.5) * (0.8 if kind == "quận" else 1.0) for kind in flat_kinds
    ]
    commune_counts = iter(_apportion(_COMMUNES_BEFORE, commune_weights))
    for province, kinds in zip(provinces, district_kinds, strict=True):
        if len(kinds) > _LAST_DISTRICT_GROUP - _FIRST_DISTRICT_GROUP + 1:
            raise AssertionError(f"too many districts generated for {province.short_name}")
        names = _PlaceNames(rng)
        for y, kind in enumerate(kinds, start=_FIRST_DISTRICT_GROUP):
            place = names.take()
            district = _District(
                _code("H", province.number, y),
                f"Ủy ban nhân dân {kind} {place}",
                f"{_slug(place)}.{province.slug}",
            )
            count = next(commune_counts)
            for z in range(1, count + 1):
                commune_place = names.take()
                district.communes.append(
                    _Commune(
                        _code("H", province.number, y, z),
                        _commune_kind(rng, kind, z, count),
                        commune_place,
                        f"{_slug(commune_place)}.{district.domain}",
                    )
                )
            province.districts.append(district)
    return provinces


def _district_kinds(rng: random.Random, province: _Province, count: int) -> list[str]:
    if province.is_city:
        urban = ["quận"] * ((count * 9 + 19) // 20)
        towns = ["thị xã"] if rng.random() < 0.3 else []
    else:
        urban = ["thành phố"] + (["thành phố"] if rng.random() < 0.3 else [])
        towns = ["thị xã"] if rng.random() < 0.5 else []
    return [*urban, *towns, *["huyện"] * (count - len(urban) - len(towns))]


def _commune_kind(rng: random.Random, district_kind: str, z: int, count: int) -> str:
    if district_kind == "quận":
        return WARD
    if district_kind in ("thành phố", "thị xã"):
        return WARD if z <= count * 0.7 else COMMUNE
    return TOWNSHIP if z == 1 or rng.random() < 0.02 else COMMUNE


def _add_extra_units(provinces: Sequence[_Province], extra_units: int) -> None:
    """Spread ``extra_units`` level-4 units evenly over the communes, in commune order."""
    communes = [(p, c) for p in provinces for c in p.communes]
    for i, (province, commune) in enumerate(communes):
        count = (i + 1) * extra_units // len(communes) - i * extra_units // len(communes)
        for index in range(count):
            slug, kind_name = _EXTRA_UNIT_KINDS[index % len(_EXTRA_UNIT_KINDS)]
            ordinal = index // len(_EXTRA_UNIT_KINDS) + 1
            name = f"{kind_name} {commune.place}" + (f" số {ordinal}" if ordinal > 1 else "")
            code = f"{index + 1:03d}{commune.code[3:]}"
            domain = f"{slug}{ordinal}.{commune.domain}"
            province.extra_units.append(
                {
                    "code": code,
                    "name": name,
                    "parent": commune.code,
                    "level": 4,
                    "alt_code": _alt_code(code),
                    "email": f"vanthu@{domain}.gov.vn",
                }
            )
            commune.extra_codes.append(code)


# --- the 2025 rearrangement of communes ---------------------------------------------------------


@dataclass(slots=True)
class _Group:
    """Old communes that become one commune-level unit in 2025."""

    members: list[_Commune]
    keep: bool = False  # the first member keeps its code and absorbs the others
    special: bool = False
    ward: bool = False
    code: str = ""
    place: str = ""
    split_sources: list[_Commune] = field(default_factory=list)

    @property
    def name(self) -> str:
        kind = SPECIAL_ZONE if self.special else WARD if self.ward else COMMUNE
        return f"{kind} {self.place}"

    @property
    def absorbed(self) -> list[_Commune]:
        """The old communes this group closes with itself as successor."""
        return self.members[1:] if self.keep else self.members


@dataclass(slots=True)
class _Split:
    source: _Commune
    successors: tuple[_Group, _Group]


@dataclass(slots=True)
class _ProvincePlan:
    """How one province of 2025 is formed from its predecessors."""

    kept: _Province
    absorbed: list[_Province]
    groups: list[_Group] = field(default_factory=list)
    splits: list[_Split] = field(default_factory=list)
    departments_closed: int = 0

    @property
    def predecessors(self) -> list[_Province]:
        return [self.kept, *self.absorbed]

    def emit(self, changes: _ChangeSet) -> None:
        """Write the changes bottom-up: no unit is closed while an active unit is under it."""
        kept = self.kept
        if kept.short_name in _RENAMED_2025:
            changes.rename(kept.code, _RENAMED_2025[kept.short_name])
        phones = kept.phones(series=1)
        for group in self.groups:
            if not group.keep:
                old_codes = [c.code for c in group.members + group.split_sources]
                domain = f"{_slug(group.place)}.{kept.slug}"
                changes.create(
                    _unit(group.code, group.name, kept.code, domain, phones.take(), old_codes)
                )
        for group in self.groups:
            if group.keep:
                keeper = group.members[0]
                changes.move(keeper.code, kept.code)
                if group.name != keeper.name:
                    changes.rename(keeper.code, group.name)
            for commune in group.absorbed:
                for extra in commune.extra_codes:
                    changes.move(extra, group.code)
            if group.absorbed:
                changes.merge([c.code for c in group.members], group.code)
        for split in self.splits:
            for extra in split.source.extra_codes:
                changes.move(extra, split.successors[0].code)
            changes.split(split.source.code, [group.code for group in split.successors])
        for province in self.predecessors:
            for district in province.districts:
                changes.close(district.code)
        self.departments_closed = _consolidate(
            changes,
            kept.code,
            kept.departments,
            [province.departments for province in self.absorbed],
            kept.department_name,
        )
        if self.absorbed:
            changes.merge([province.code for province in self.predecessors], kept.code)


def _plan_communes(rng: random.Random, provinces: Sequence[_Province]) -> list[_ProvincePlan]:
    by_name = {province.short_name: province for province in provinces}
    merged = {names[0]: names[1:] for names in _MERGERS}
    absorbed_names = {name for names in _MERGERS for name in names[1:]}
    plans = [
        _ProvincePlan(p, [by_name[name] for name in merged.get(p.short_name, ())])
        for p in provinces
        if p.short_name not in absorbed_names
    ]
    old_counts = [sum(len(p.communes) for p in plan.predecessors) for plan in plans]
    for plan, target in zip(plans, _apportion(_COMMUNES_AFTER, old_counts), strict=True):
        _group_communes(rng, plan, target)
    _choose_wards(rng, plans)
    for index in sorted(rng.sample(range(len(plans)), _SPLIT_COUNT)):
        _choose_split(rng, plans[index])
    for plan in plans:
        _name_groups(rng, plan)
    return plans


def _group_communes(rng: random.Random, plan: _ProvincePlan, target: int) -> None:
    """Cut the province's old communes, in order, into ``target`` groups of 1..5."""
    old = [commune for province in plan.predecessors for commune in province.communes]
    if not target <= len(old) <= _MAX_GROUP * target:
        raise AssertionError(f"cannot group {len(old)} communes into {target}")
    sizes = [1] * target
    remaining = len(old) - target
    while remaining:
        i = rng.randrange(target)
        if sizes[i] < _MAX_GROUP:
            sizes[i] += 1
            remaining -= 1
    start = 0
    for size in sizes:
        plan.groups.append(_Group(old[start : start + size]))
        start += size
    specials = len(_SPECIAL_ZONES.get(plan.kept.short_name, ()))
    for group in plan.groups:
        if len(group.members) == 1:
            group.keep = True
        elif specials:
            group.special = True
            specials -= 1
        else:
            group.keep = rng.random() < _KEEP_ABSORBING_SHARE


def _choose_wards(rng: random.Random, plans: Sequence[_ProvincePlan]) -> None:
    """The most urban groups become the 672 wards; the others are communes."""
    weight = {WARD: 1.0, TOWNSHIP: 0.5, COMMUNE: 0.0}
    ranked = []
    for plan in plans:
        for group in plan.groups:
            if not group.special:
                urban = sum(weight[c.kind] for c in group.members) / len(group.members)
                ranked.append((-urban, rng.random(), group))
    ranked.sort(key=lambda entry: entry[:2])
    for _, _, group in ranked[:_WARDS_AFTER]:
        group.ward = True


def _choose_split(rng: random.Random, plan: _ProvincePlan) -> None:
    """Split one old commune between two neighbouring new communes."""
    groups = plan.groups
    start = rng.randrange(len(groups) - 1)
    for offset in range(len(groups) - 1):
        i = (start + offset) % (len(groups) - 1)
        first, second = groups[i], groups[i + 1]
        if not first.keep and not second.keep and len(first.members) >= 3:
            source = first.members.pop()
            first.split_sources.append(source)
            second.split_sources.append(source)
            plan.splits.append(_Split(source, (first, second)))
            return
    raise AssertionError(f"no commune to split in {plan.kept.short_name}")


def _name_groups(rng: random.Random, plan: _ProvincePlan) -> None:
    """Give every group its 2025 code and a name unique within the province."""
    names = _PlaceNames(rng)
    zones = iter(_SPECIAL_ZONES.get(plan.kept.short_name, ()))
    for group in plan.groups:
        if group.special:
            group.place = next(zones)
            names.reserve(group.place)
    for group in plan.groups:
        if group.keep:
            keeper = group.members[0]
            group.code = keeper.code
            group.place = keeper.place if names.reserve(keeper.place) else names.take()
    created = 0
    for group in plan.groups:
        if not group.keep:
            y = _FIRST_NEW_COMMUNE_GROUP + created // 99
            group.code = _code("H", plan.kept.number, y, 1 + created % 99)
            created += 1
            if not group.special:
                group.place = names.take()


# --- facts --------------------------------------------------------------------------------------


def _facts(
    *,
    provinces: Sequence[_Province],
    ministries: Sequence[_Ministry],
    plans: Sequence[_ProvincePlan],
    merged_provinces: Mapping[str, str],
    closed_ministries: Mapping[str, str],
    extra_units: int,
    baseline: _ChangeSet,
    rearrangement: _ChangeSet,
) -> Facts:
    groups = [group for plan in plans for group in plan.groups]
    merged_communes = {c.code: g.code for g in groups for c in g.absorbed}
    split_communes = {
        s.source.code: tuple(g.code for g in s.successors) for plan in plans for s in plan.splits
    }
    closed_districts = tuple(d.code for p in provinces for d in p.districts)
    departments_before = sum(len(p.departments) for p in provinces)
    counts = {
        "provinces_before": len(provinces),
        "provinces_after": len(plans),
        "provinces_closed": len(merged_provinces),
        "districts_before": len(closed_districts),
        "districts_after": 0,
        "departments_before": departments_before,
        "departments_after": departments_before - sum(p.departments_closed for p in plans),
        "communes_before": sum(len(p.communes) for p in provinces),
        "communes_after": len(groups),
        "communes_created": sum(1 for g in groups if not g.keep),
        "communes_kept": sum(1 for g in groups if g.keep),
        "communes_merged": len(merged_communes),
        "communes_split": len(split_communes),
        "rural_communes_after": sum(1 for g in groups if not g.special and not g.ward),
        "wards_after": sum(1 for g in groups if g.ward),
        "special_zones_after": sum(1 for g in groups if g.special),
        "ministries_before": len(ministries),
        "ministries_after": len(ministries) - len(closed_ministries) + len(_NEW_MINISTRIES),
        "ministry_units_before": sum(len(m.units) for m in ministries),
        "extra_units": extra_units,
        "units_before": baseline.created,
        "units_after": baseline.created + rearrangement.created - rearrangement.closed,
    }
    return Facts(
        merged_provinces=MappingProxyType(dict(merged_provinces)),
        unchanged_provinces=tuple(plan.kept.code for plan in plans if not plan.absorbed),
        merged_communes=MappingProxyType(merged_communes),
        split_communes=MappingProxyType(split_communes),
        closed_districts=closed_districts,
        closed_ministries=MappingProxyType(dict(closed_ministries)),
        counts=MappingProxyType(counts),
    )
