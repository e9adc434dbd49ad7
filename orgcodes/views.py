"""The registry's units as they stand at one moment: sorted by code, indexed, and valid until the
registry's next transition, so that listing a page costs the page, not a scan of every history.

A `UnitView` is computed once per registry and reused for every moment it covers: between two
transitions (the `since` of some state, the `until` of another) no unit's state in force changes,
so "the units now" is the same answer until the next transition time passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from orgcodes.model import UnitState, UnitStatus
from orgcodes.registry import Registry


def transitions(registry: Registry, moment: datetime) -> tuple[datetime | None, datetime | None]:
    """The latest transition at or before `moment` and the first one after it (None: there is
    none): the span in which every unit's state in force is the one it has at `moment`."""
    floor: datetime | None = None
    until: datetime | None = None
    for history in registry:
        for state in history.states:
            for edge in (state.since, state.until):
                if edge is None:
                    continue
                if edge <= moment:
                    if floor is None or edge > floor:
                        floor = edge
                elif until is None or edge < until:
                    until = edge
    return floor, until


class UnitView:
    """Every unit's state in force at `moment` (units not yet created left out), by code, with
    indexes by parent, level and status and the casefolded code and name `q` searches."""

    __slots__ = (
        "_by_level",
        "_by_parent",
        "_by_status",
        "_codes",
        "_names",
        "floor",
        "moment",
        "states",
        "until",
        "version",
    )

    def __init__(self, registry: Registry, moment: datetime) -> None:
        found = [state for history in registry if (state := history.at(moment)) is not None]
        found.sort(key=lambda state: state.code)
        self.states: tuple[UnitState, ...] = tuple(found)
        self.moment = moment
        self.version = registry.version
        self.floor, self.until = transitions(registry, moment)
        self._codes = tuple(state.code.casefold() for state in found)
        self._names = tuple(state.name.casefold() for state in found)
        self._by_parent: dict[str | None, list[int]] = {}
        self._by_level: dict[int, list[int]] = {}
        self._by_status: dict[UnitStatus, list[int]] = {}
        for position, state in enumerate(found):
            self._by_parent.setdefault(state.parent, []).append(position)
            self._by_level.setdefault(state.level, []).append(position)
            self._by_status.setdefault(state.status, []).append(position)

    def __len__(self) -> int:
        return len(self.states)

    def covers(self, moment: datetime) -> bool:
        """Whether the states in force at `moment` are this view's."""
        if self.floor is not None and moment < self.floor:
            return False
        return self.until is None or moment < self.until

    def select(
        self,
        *,
        q: str | None = None,
        parent: str | None = None,
        status: UnitStatus | None = None,
        level: int | None = None,
    ) -> Sequence[int]:
        """Positions in `states` (ascending, so by code) of the units matching every filter
        given: `q` in the code or the name (casefolded), the parent, the status, the level.

        The smallest index among the filters given is the candidate list; the other filters
        are checked on its members only."""
        indexes: list[Sequence[int]] = []
        if parent is not None:
            indexes.append(self._by_parent.get(parent, ()))
        if level is not None:
            indexes.append(self._by_level.get(level, ()))
        if status is not None:
            indexes.append(self._by_status.get(status, ()))
        candidates: Sequence[int] = min(indexes, key=len) if indexes else range(len(self.states))
        if len(indexes) > 1:
            candidates = list(self._matching(candidates, parent, status, level))
        if not q:
            return candidates
        needle, codes, names = q.casefold(), self._codes, self._names
        return [i for i in candidates if needle in codes[i] or needle in names[i]]

    def _matching(
        self,
        candidates: Iterable[int],
        parent: str | None,
        status: UnitStatus | None,
        level: int | None,
    ) -> Iterable[int]:
        for position in candidates:
            state = self.states[position]
            if parent is not None and state.parent != parent:
                continue
            if level is not None and state.level != level:
                continue
            if status is not None and state.status is not status:
                continue
            yield position

    def page(
        self,
        offset: int,
        limit: int,
        *,
        q: str | None = None,
        parent: str | None = None,
        status: UnitStatus | None = None,
        level: int | None = None,
    ) -> tuple[int, list[UnitState]]:
        """How many units match, and the `limit` of them from `offset` on, by code."""
        positions = self.select(q=q, parent=parent, status=status, level=level)
        return len(positions), [self.states[i] for i in positions[offset : offset + limit]]
