"""The generator: ministries, provinces, districts and communes before 2025, their 2025
rearrangement, and the dataset with its facts."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from axis.devtools.dataset2025.before2025 import (
    _add_extra_units,
    _generate_ministries,
    _generate_provinces,
    _Ministry,
    _Province,
)
from axis.devtools.dataset2025.communes2025 import _plan_communes, _ProvincePlan
from axis.devtools.dataset2025.facts import (
    _COMMUNES_BEFORE,
    _MAX_EXTRA_PER_COMMUNE,
    _MINISTRIES,
    _MINISTRY_MERGERS,
    _NEW_MINISTRIES,
    BASELINE_EFFECTIVE,
    BASELINE_REASON,
    REARRANGEMENT_EFFECTIVE,
    REARRANGEMENT_REASON,
    JsonObject,
)
from axis.devtools.dataset2025.units import (
    _ChangeSet,
    _consolidate,
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
