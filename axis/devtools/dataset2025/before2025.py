"""The directory before 2025: ministries, provinces, districts and communes, generated."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from axis.devtools.dataset2025.facts import (
    _COMMUNES_BEFORE,
    _DEPARTMENT_KINDS,
    _DISTRICTS_BEFORE,
    _EXTRA_UNIT_KINDS,
    _FIRST_DISTRICT_GROUP,
    _LAST_DISTRICT_GROUP,
    _MINISTRIES,
    _MINISTRY_UNIT_KINDS,
    _OPTIONAL_DEPARTMENT_SHARE,
    _PROVINCES,
    COMMUNE,
    KNOWN_CODES,
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
    _fold,
    _Phones,
    _PlaceNames,
    _slug,
    _unit,
)

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
