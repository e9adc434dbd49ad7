"""The 2025 rearrangement of communes: which old communes become which new one, per province
of 2025, written bottom-up as changes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from axis.devtools.dataset2025.before2025 import _Commune, _Province
from axis.devtools.dataset2025.facts import (
    _COMMUNES_AFTER,
    _FIRST_NEW_COMMUNE_GROUP,
    _KEEP_ABSORBING_SHARE,
    _MAX_GROUP,
    _MERGERS,
    _RENAMED_2025,
    _SPECIAL_ZONES,
    _SPLIT_COUNT,
    _WARDS_AFTER,
    COMMUNE,
    SPECIAL_ZONE,
    TOWNSHIP,
    WARD,
)
from axis.devtools.dataset2025.units import (
    _apportion,
    _ChangeSet,
    _code,
    _consolidate,
    _PlaceNames,
    _slug,
    _unit,
)

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
