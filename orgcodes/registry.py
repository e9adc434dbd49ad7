"""The registry: every unit's history at one version, and applying a change set to it.

A `Registry` is a value: applying a change set returns a new registry (and the histories it
changed, for the store to write) or raises `RegistryError` naming the offending change, leaving
the old one untouched. That is what makes a change set atomic.

Time: every change set has an effective time. A unit's history is a run of states, each in force
from its `since`; so the registry answers "what was X on date D" for any D, and a change set
published ahead of its effective time changes nothing until then.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from orgcodes.changes import (
    CONTACT_FIELDS,
    ChangeSet,
    Close,
    Create,
    Merge,
    Move,
    Rename,
    Split,
    Update,
)
from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.model import DeliveryMode, UnitHistory, UnitState, UnitStatus, local_date

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Applied:
    """The outcome of applying one change set."""

    registry: Registry
    changed: tuple[UnitHistory, ...]
    """The histories of every unit the change set touched, as they now stand."""


class Registry:
    """Every unit's history, at one registry version."""

    __slots__ = ("__dict__", "_units", "effective", "version")

    def __init__(
        self,
        units: Mapping[str, UnitHistory] | Iterable[UnitHistory] = (),
        *,
        version: int = 0,
        effective: datetime = EPOCH,
    ) -> None:
        if isinstance(units, Mapping):
            self._units: dict[str, UnitHistory] = dict(units)
        else:
            self._units = {history.code: history for history in units}
        self.version = version
        """The number of change sets applied (0: empty)."""
        self.effective = effective
        """The effective time of the last change set applied."""

    def __len__(self) -> int:
        return len(self._units)

    def __iter__(self) -> Iterator[UnitHistory]:
        return iter(self._units.values())

    def __contains__(self, code: object) -> bool:
        return code in self._units

    def history(self, code: str) -> UnitHistory | None:
        return self._units.get(code)

    def get(self, code: str, at: datetime | None = None) -> UnitState | None:
        """The unit's state at `at` (default: its latest state)."""
        history = self._units.get(code)
        if history is None:
            return None
        return history.current if at is None else history.at(at)

    @cached_property
    def aliases(self) -> Mapping[str, tuple[str, ...]]:
        """Codes a unit is also known by (its alternate code, its old codes) -> the units' codes.

        A code that is itself a unit's code is not an alias: the unit's own history wins.
        """
        found: dict[str, list[str]] = {}
        for history in self._units.values():
            seen: set[str] = set()
            for state in history.states:
                for alias in (state.alt_code, *state.old_codes):
                    if alias and alias not in seen and alias not in self._units:
                        seen.add(alias)
                        found.setdefault(alias, []).append(history.code)
        return {alias: tuple(codes) for alias, codes in found.items()}

    @cached_property
    def _transitions(self) -> tuple[datetime, ...]:
        """Every moment a unit's state changes, in order."""
        return tuple(sorted({s.since for history in self._units.values() for s in history.states}))

    def in_force(self, at: datetime) -> tuple[int, datetime | None]:
        """What the answers at `at` depend on: the version, and the last change in force then.
        It changes with a new version, and when a future-dated change set takes effect."""
        index = bisect_right(self._transitions, at)
        return self.version, self._transitions[index - 1] if index else None

    @cached_property
    def _children(self) -> Mapping[str, frozenset[str]]:
        """Parent code -> codes of the units whose latest state is active under it."""
        children: dict[str, set[str]] = {}
        for history in self._units.values():
            state = history.current
            if state.active and state.parent is not None:
                children.setdefault(state.parent, set()).add(history.code)
        return {parent: frozenset(codes) for parent, codes in children.items()}

    def apply(self, change_set: ChangeSet, *, version: int | None = None) -> Applied:
        """The registry after `change_set`, as version `version` (default: the next one).

        Raises `RegistryError` (with `change` set to the offending change's index) and changes
        nothing when any change does not fit.
        """
        expected = self.version + 1
        if version is None:
            version = expected
        elif version <= self.version:
            raise RegistryError(
                RegistryCode.VERSION_OLD,
                f"registry version {version} is already applied (this registry is at version "
                f"{self.version})",
            )
        elif version != expected:
            raise RegistryError(
                RegistryCode.VERSION_GAP,
                f"change set for registry version {version} cannot follow version "
                f"{self.version}: version {expected} is missing",
            )
        return _Application(self, change_set, version).run()

    def counts(self, at: datetime | None = None) -> dict[str, int]:
        """Units by status at `at` (default: latest states); units not yet created are `future`."""
        counts = {UnitStatus.ACTIVE.value: 0, UnitStatus.CLOSED.value: 0, "future": 0}
        for history in self._units.values():
            state = history.current if at is None else history.at(at)
            counts["future" if state is None else state.status.value] += 1
        return counts


class _Application:
    """One change set being applied to a working copy of the touched histories."""

    def __init__(self, base: Registry, change_set: ChangeSet, version: int) -> None:
        self.base = base
        self.change_set = change_set
        self.effective = change_set.effective
        self.version = version
        self.work: dict[str, list[UnitState]] = {}
        self.parent_set_by: dict[str, int] = {}
        self.closed_by: dict[str, int] = {}
        self.new_aliases: dict[str, str] = {}
        self.index = 0

    def run(self) -> Applied:
        for index, change in enumerate(self.change_set.changes):
            self.index = index
            self._apply(change)
        self.index = -1
        self._check_tree()
        self._check_successors()
        units = dict(self.base._units)
        changed = []
        for code, states in self.work.items():
            history = UnitHistory(code, tuple(states))
            units[code] = history
            changed.append(history)
        effective = max(self.base.effective, self.effective)
        registry = Registry(units, version=self.version, effective=effective)
        return Applied(registry, tuple(changed))

    # --- operations ---

    def _apply(self, change: object) -> None:
        match change:
            case Create():
                self._create(change)
            case Rename():
                self._evolve(self._active(change.code), name=change.name)
            case Move():
                state = self._active(change.code)
                self._evolve(state, parent=change.parent)
                self.parent_set_by[change.code] = self.index
            case Merge():
                self._merge(change)
            case Split():
                self._split(change)
            case Close():
                self._close(self._active(change.code), ())
            case Update():
                self._update(change)

    def _create(self, change: Create) -> None:
        for code, what in ((change.code, "code"), (change.details.alt_code, "alternate code")):
            if code is None:
                continue
            if self._state(code) is not None or code in self.base.aliases:
                raise self._error(
                    RegistryCode.CODE_REUSED,
                    f"cannot create {change.code}: the {what} {code} already belongs to a unit "
                    "of the registry (codes are never reused; give the new unit a new code)",
                )
            if code in self.new_aliases and self.new_aliases[code] != change.code:
                raise self._error(
                    RegistryCode.CODE_REUSED,
                    f"cannot create {change.code}: the {what} {code} is already taken by "
                    f"{self.new_aliases[code]} in this change set",
                )
            self.new_aliases[code] = change.code
        details = change.details
        state = UnitState(
            code=change.code,
            name=change.name,
            parent=change.parent,
            level=change.level,
            status=UnitStatus.ACTIVE,
            since=self.effective,
            until=None,
            version=self.version,
            alt_code=details.alt_code,
            old_codes=details.old_codes,
            home_axis=details.home_axis,
            delivery_mode=details.delivery_mode,
            endpoint=details.endpoint,
            contact=details.contact,
        )
        self._check_delivery(state)
        self.work[change.code] = [state]
        self.parent_set_by[change.code] = self.index

    def _merge(self, change: Merge) -> None:
        if len(set(change.sources)) != len(change.sources):
            raise self._error(
                RegistryCode.SUCCESSOR_INVALID, 'a merge names the same unit twice in "from"'
            )
        self._active(change.into)
        closing = [code for code in change.sources if code != change.into]
        if not closing:
            raise self._error(
                RegistryCode.SUCCESSOR_INVALID,
                f'a merge into {change.into} closes nothing: "from" must name another unit',
            )
        states = [self._active(code) for code in closing]
        for state in states:
            self._close(state, (change.into,))

    def _split(self, change: Split) -> None:
        state = self._active(change.source)
        if len(change.into) < 2 or len(set(change.into)) != len(change.into):
            raise self._error(
                RegistryCode.SUCCESSOR_INVALID,
                f"a split of {change.source} needs at least two different successors",
            )
        if change.source in change.into:
            raise self._error(
                RegistryCode.SUCCESSOR_INVALID,
                f"{change.source} cannot be its own successor in a split; a unit that lives on "
                "keeps its code and the others are created",
            )
        for code in change.into:
            self._active(code)
        self._close(state, change.into)

    def _update(self, change: Update) -> None:
        state = self._active(change.code)
        values = dict(change.values)
        contact = {name: values.pop(name) for name in CONTACT_FIELDS if name in values}
        if contact:
            values["contact"] = dataclasses.replace(state.contact, **contact)
        alt = values.get("alt_code")
        if alt is not None and alt != state.alt_code:
            owner = self.new_aliases.get(alt, change.code)
            if self._state(alt) is not None or alt in self.base.aliases or owner != change.code:
                raise self._error(
                    RegistryCode.CODE_REUSED,
                    f"{change.code} cannot take the alternate code {alt}: it already belongs to "
                    "a unit of the registry",
                )
            self.new_aliases[alt] = change.code
        updated = self._evolve(state, **values)
        self._check_delivery(updated)

    def _close(self, state: UnitState, successors: tuple[str, ...]) -> None:
        self._evolve(state, status=UnitStatus.CLOSED, successors=successors)
        self.closed_by[state.code] = self.index

    # --- states ---

    def _state(self, code: str) -> UnitState | None:
        states = self.work.get(code)
        if states is not None:
            return states[-1]
        return self.base.get(code)

    def _active(self, code: str) -> UnitState:
        state = self._state(code)
        if state is None:
            hint = ""
            owners = self.base.aliases.get(code)
            if owners:
                hint = f" ({code} is an alternate or old code of {', '.join(owners)})"
            raise self._error(
                RegistryCode.UNKNOWN_UNIT, f"{code} is not a unit of the registry{hint}"
            )
        if not state.active:
            raise self._error(
                RegistryCode.UNIT_CLOSED,
                f"{code} ({state.name}) is closed since {local_date(state.since)}; a closed unit "
                "cannot be renamed, moved, merged, split or closed again",
            )
        return state

    def _evolve(self, state: UnitState, **values: Any) -> UnitState:
        code = state.code
        states = self.work.get(code)
        if states is None:
            history = self.base.history(code)
            assert history is not None
            states = self.work[code] = list(history.states)
        if state.since > self.effective:
            raise self._error(
                RegistryCode.EFFECTIVE_TOO_EARLY,
                f"{code} already has a change effective {state.since.isoformat()} (version "
                f"{state.version}); this change set takes effect earlier, at "
                f"{self.effective.isoformat()}, and cannot be put before it",
            )
        if state.version == self.version and state.since == self.effective:
            new = dataclasses.replace(state, **values)  # written by this change set: amend
            states[-1] = new
        else:
            new = dataclasses.replace(
                state, since=self.effective, until=None, version=self.version, **values
            )
            states[-1] = dataclasses.replace(state, until=self.effective)
            states.append(new)
        return new

    def _check_delivery(self, state: UnitState) -> None:
        if state.delivery_mode is DeliveryMode.PUSH and not state.endpoint:
            raise self._error(
                RegistryCode.CHANGESET_MALFORMED,
                f'{state.code} receives by push but has no endpoint; set "endpoint" to the '
                "URL the node POSTs packets to",
            )

    # --- invariants over the whole change set ---

    def _check_tree(self) -> None:
        children = self.base._children
        for code, states in self.work.items():
            state = states[-1]
            if state.active and state.parent is not None:
                parent = self._state(state.parent)
                where = self.parent_set_by.get(code, self.closed_by.get(state.parent))
                if parent is None:
                    raise self._error(
                        RegistryCode.PARENT_UNKNOWN,
                        f"the parent {state.parent} of {code} is not a unit of the registry",
                        where,
                    )
                if not parent.active:
                    raise self._error(
                        RegistryCode.PARENT_CLOSED,
                        f"{code} ({state.name}) would stay active under {state.parent}, which "
                        "is closed; move, merge or close it in the same change set",
                        where,
                    )
                self._check_no_cycle(code)
            if not state.active:
                for child in sorted(children.get(code, ())):
                    child_state = self._state(child)
                    if (
                        child_state is not None
                        and child_state.active
                        and child_state.parent == code
                    ):
                        raise self._error(
                            RegistryCode.PARENT_CLOSED,
                            f"{code} is closed but {child} ({child_state.name}) is still active "
                            "under it; move, merge or close it in the same change set",
                            self.closed_by.get(code),
                        )

    def _check_no_cycle(self, code: str) -> None:
        seen = {code}
        state = self._state(code)
        while state is not None and state.parent is not None:
            if state.parent in seen:
                raise self._error(
                    RegistryCode.PARENT_CYCLE,
                    f"{code} would become its own ancestor (through {state.parent})",
                    self.parent_set_by.get(code),
                )
            seen.add(state.parent)
            state = self._state(state.parent)

    def _check_successors(self) -> None:
        done: set[str] = set()

        def visit(code: str, path: tuple[str, ...]) -> None:
            if code in path:
                raise self._error(
                    RegistryCode.SUCCESSOR_CYCLE,
                    f"following successors {' -> '.join((*path, code))} comes back to {code}",
                    self.closed_by.get(path[0]),
                )
            if code in done:
                return
            state = self._state(code)
            for successor in state.successors if state is not None else ():
                visit(successor, (*path, code))
            done.add(code)

        for code in self.closed_by:
            visit(code, ())

    def _error(self, code: RegistryCode, message: str, index: int | None = -2) -> RegistryError:
        """An error about the current change (`index` -2) or the change at `index`."""
        at = self.index if index == -2 else index
        if at is not None and at >= 0:
            change = self.change_set.changes[at]
            op = type(change).__name__.lower()
            message = f"change {at} ({op}): {message}"
            return RegistryError(code, message, change=at)
        return RegistryError(code, message)
