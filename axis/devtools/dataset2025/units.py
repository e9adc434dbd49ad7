"""Building blocks of the generated dataset: codes, names and contact fields of a unit, and
the change sets it is written as."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from axis.devtools.dataset2025.facts import (
    _SYLLABLES,
    JsonObject,
)

# --- codes, names and contact fields ------------------------------------------------------------


def _code(letter: str, number: int, y: int = 0, z: int = 0, v: int = 0) -> str:
    return f"{v:03d}.{z:02d}.{y:02d}.{letter}{number:02d}"


def _depth(code: str) -> int:
    v, z, y, _ = code.split(".")
    return 1 + sum(1 for group in (y, z, v) if group.strip("0"))


def _alt_code(code: str) -> str:
    """The Decision 20/2020 form by this dataset's illustrative convention."""
    v, z, y, m = code.split(".")
    return ".".join([m, *(group for group in (y, z, v) if group.strip("0"))])


def _fold(text: str) -> str:
    """``text`` without Vietnamese diacritics."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _slug(text: str) -> str:
    return "".join(ch for ch in _fold(text).lower() if ch.isalnum())


def _unit(
    code: str,
    name: str,
    parent: str | None,
    domain: str,
    phone: str,
    old_codes: Sequence[str] = (),
) -> JsonObject:
    unit: JsonObject = {
        "code": code,
        "name": name,
        "parent": parent,
        "level": _depth(code),
        "alt_code": _alt_code(code),
        "email": f"vanthu@{domain}.gov.vn",
        "phone": phone,
    }
    if old_codes:
        unit["old_codes"] = list(old_codes)
    return unit


class _Phones:
    """Illustrative landline numbers: an area code, then a running number per level-1 unit."""

    def __init__(self, area: str, first: int) -> None:
        self._area = area
        self._next = first

    def take(self) -> str:
        self._next += 1
        return f"{self._area} {self._next}"


class _PlaceNames:
    """Generated two-syllable place names, unique within one scope (a province)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def reserve(self, name: str) -> bool:
        """Claim ``name``; False when it is already taken in this scope."""
        if name in self._used:
            return False
        self._used.add(name)
        return True

    def take(self) -> str:
        while True:
            first, second = self._rng.sample(_SYLLABLES, 2)
            if self.reserve(f"{first} {second}"):
                return f"{first} {second}"


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder method)."""
    scale = total / sum(weights)
    exact = [weight * scale for weight in weights]
    counts = [int(share) for share in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


# --- change sets --------------------------------------------------------------------------------


class _ChangeSet:
    """A change set being written, counting the units it creates and closes."""

    def __init__(self, effective: str, reason: str) -> None:
        self.effective = effective
        self.reason = reason
        self.changes: list[JsonObject] = []
        self.created = 0
        self.closed = 0

    def create(self, unit: JsonObject) -> None:
        self.changes.append({"op": "create", "unit": unit})
        self.created += 1

    def rename(self, code: str, name: str) -> None:
        self.changes.append({"op": "rename", "code": code, "name": name})

    def move(self, code: str, parent: str) -> None:
        self.changes.append({"op": "move", "code": code, "parent": parent})

    def merge(self, sources: Sequence[str], into: str) -> None:
        self.changes.append({"op": "merge", "from": list(sources), "into": into})
        self.closed += sum(1 for source in sources if source != into)

    def split(self, source: str, into: Sequence[str]) -> None:
        self.changes.append({"op": "split", "from": source, "into": list(into)})
        self.closed += 1

    def close(self, code: str) -> None:
        self.changes.append({"op": "close", "code": code})
        self.closed += 1

    def to_json(self) -> JsonObject:
        return {"effective": self.effective, "reason": self.reason, "changes": self.changes}


@dataclass(slots=True)
class _Child:
    """A level-2 unit of a ministry or a province, identified within its parent by its kind."""

    kind: str
    code: str
    name: str


def _consolidate(
    changes: _ChangeSet,
    parent: str,
    own: Sequence[_Child],
    absorbed: Sequence[Sequence[_Child]],
    name_under_parent: Callable[[str], str],
) -> int:
    """Merge the absorbed parents' children into ``parent``'s child of the same kind.

    When ``parent`` has no child of a kind, the first absorbed one is moved under it (and renamed)
    and the others of that kind are merged into it. Returns the number of children closed.
    """
    by_kind: dict[str, list[_Child]] = {child.kind: [child] for child in own}
    for children in absorbed:
        for child in children:
            by_kind.setdefault(child.kind, []).append(child)
    own_kinds = {child.kind for child in own}
    closed = 0
    for kind, children in by_kind.items():
        keeper = children[0]
        if kind not in own_kinds:
            changes.move(keeper.code, parent)
            new_name = name_under_parent(kind)
            if new_name != keeper.name:
                changes.rename(keeper.code, new_name)
        if len(children) > 1:
            changes.merge([child.code for child in children], keeper.code)
            closed += len(children) - 1
    return closed
