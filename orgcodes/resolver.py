"""The resolver: where a code leads at a given time (active, redirected, ambiguous, closed,
unknown), answered from the registry as it stood then.

`resolve_at` is the definition, written for clarity: it walks the registry. `Resolver` is the
index the node uses: at build time it asks `resolve_at` at every moment the answer for a code
can change (the start of each state of the code and of every unit its successors lead to), and
keeps those answers in a sorted list per code. A lookup is then a dictionary hit and, for the few
codes whose answer changed over time, a binary search.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from enum import StrEnum
from math import inf
from time import time
from typing import Any, NamedTuple

from orgcodes.memory import collector_paused
from orgcodes.model import UnitState, local_date
from orgcodes.registry import Registry


class Outcome(StrEnum):
    ACTIVE = "active"
    """The code is an active unit (or its alternate code): deliver to it."""
    REDIRECTED = "redirected"
    """The code was closed (or is an old code); its successors lead to one active unit."""
    AMBIGUOUS = "ambiguous"
    """The code was split: several candidates; the sender must choose."""
    CLOSED = "closed"
    """The code was closed with no successor."""
    UNKNOWN = "unknown"
    """The registry does not know the code (or not yet, at that time)."""


REASON_CODES = {
    Outcome.AMBIGUOUS: "REGISTRY_CODE_AMBIGUOUS",
    Outcome.CLOSED: "REGISTRY_CODE_CLOSED",
    Outcome.UNKNOWN: "REGISTRY_UNKNOWN_CODE",
}


class Resolution(NamedTuple):
    """Where `input` leads (a named tuple: immutable, and three times cheaper to make than a
    frozen dataclass, which matters for the unknown codes a lookup must answer fresh).

    `target` is the active unit to deliver to (active, redirected); `chain` the codes followed
    from the input to the target or to where the trail ends (empty when the input is itself
    the active unit); `candidates` the active units a split leads to; `state` the state of the
    target, or of the unit where the trail ends; `version` the registry version that answered.
    """

    input: str
    outcome: Outcome
    target: str | None
    chain: tuple[str, ...]
    candidates: tuple[str, ...]
    version: int
    state: UnitState | None = None

    @property
    def deliverable(self) -> bool:
        return self.target is not None

    @property
    def reason_code(self) -> str | None:
        """A machine code for why there is nowhere to deliver, or None when there is."""
        return REASON_CODES.get(self.outcome)

    @property
    def reason(self) -> str | None:
        """A sentence for a clerk saying why there is nowhere to deliver, or None."""
        state = self.state
        if self.outcome is Outcome.UNKNOWN:
            return (
                f"{self.input} is not an organization code of the registry (version "
                f"{self.version}) at that time"
            )
        if state is None or self.deliverable:
            return None
        via = f" (reached through {' -> '.join(self.chain)})" if len(self.chain) > 1 else ""
        if self.outcome is Outcome.AMBIGUOUS:
            return (
                f"{state.code} ({state.name}) was split on {local_date(state.since)}{via}; address "
                f"one of its successors: {', '.join(self.candidates)}"
            )
        return (
            f"{state.code} ({state.name}) was closed on {local_date(state.since)} with no "
            f"successor{via}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "outcome": self.outcome.value,
            "target": self.target,
            "chain": list(self.chain),
            "candidates": list(self.candidates),
            "version": self.version,
        }

    def _key(self) -> tuple[object, ...]:
        return (self.outcome, self.target, self.chain, self.candidates, self.state)


def _as_input(code: str, answer: Resolution) -> Resolution:
    """`answer` for another input (dataclasses.replace is several times slower)."""
    return Resolution(
        code,
        answer.outcome,
        answer.target,
        answer.chain,
        answer.candidates,
        answer.version,
        answer.state,
    )


def resolve_at(registry: Registry, code: str, at: datetime) -> Resolution:
    """Where `code` leads at `at`, by walking the registry (the definition; slow)."""
    if code in registry:
        return _resolution(code, _follow(registry, code, at, ()), registry.version)
    owners = registry.aliases.get(code, ())
    if len(owners) == 1:
        owner = owners[0]
        history = registry.history(owner)
        same_unit = history is not None and any(s.alt_code == code for s in history.states)
        trail = _follow(registry, owner, at, () if same_unit else (code,))
        return _resolution(code, trail, registry.version)
    # An old code claimed by several units (its unit was split among them), or by none.
    found = [_follow(registry, owner, at, (code,)) for owner in owners]
    targets = tuple(dict.fromkeys(trail[1] for trail in found if trail[1] is not None))
    if len(targets) == 1:
        trail = next(trail for trail in found if trail[1] == targets[0])
        return _resolution(code, trail, registry.version)
    if targets:
        return Resolution(code, Outcome.AMBIGUOUS, None, (code,), targets, registry.version)
    return Resolution(code, Outcome.UNKNOWN, None, (), (), registry.version)


def _resolution(code: str, trail: _Trail, version: int) -> Resolution:
    outcome, target, chain, candidates, state = trail
    if outcome is Outcome.UNKNOWN:
        return Resolution(code, outcome, None, (), (), version)
    return Resolution(code, outcome, target, chain, candidates, version, state)


_Trail = tuple[Outcome, str | None, tuple[str, ...], tuple[str, ...], UnitState | None]


def _follow(registry: Registry, code: str, at: datetime, chain: tuple[str, ...]) -> _Trail:
    state = registry.get(code, at)
    if state is None:
        return Outcome.UNKNOWN, None, chain, (), None
    if code in chain:  # a cycle: the registry refuses them, but a walk must never loop
        return Outcome.CLOSED, None, chain, (), None
    chain = (*chain, code)
    if state.active:
        if len(chain) == 1:
            return Outcome.ACTIVE, code, (), (), state
        return Outcome.REDIRECTED, code, chain, (), state
    if not state.successors:
        return Outcome.CLOSED, None, chain, (), state
    if len(state.successors) == 1:
        outcome, target, followed, candidates, end = _follow(
            registry, state.successors[0], at, chain
        )
        if outcome is Outcome.UNKNOWN:  # a successor that does not exist yet: the trail ends
            return Outcome.CLOSED, None, chain, (), state
        return outcome, target, followed, candidates, end
    leads = [_follow(registry, successor, at, ())[1] for successor in state.successors]
    found = (lead or successor for lead, successor in zip(leads, state.successors, strict=True))
    return Outcome.AMBIGUOUS, None, chain, tuple(dict.fromkeys(found)), state


class Resolver:
    """The registry's answers, indexed for lookups by code and time (pure, in memory).

    Three tables: `_index` holds, per code, the moments its answer changes and the answer from
    each on; `_current` holds the answer *now* for every code whose last change has already
    taken effect (nearly all), so a lookup without a time is one dictionary hit; `_alternates`
    maps a unit's alternate code to the unit, whose answers it shares.
    """

    def __init__(self, registry: Registry) -> None:
        self.version = registry.version
        self._index: dict[str, tuple[list[float], list[Resolution]]] = {}
        self._current: dict[str, Resolution] = {}
        self._alternates: dict[str, str] = {}
        self._built_at = time()
        self._last: tuple[datetime | None, float] = (None, 0.0)
        with collector_paused():
            self._build(registry)

    def _build(self, registry: Registry) -> None:
        builder = _IndexBuilder(registry)
        aliases = dict(registry.aliases)
        version = registry.version
        for history in registry:
            code = history.code
            states = history.states
            if states[-1].active:  # most units: never closed, so the answer is the unit itself
                starts = [state.since.timestamp() for state in states]
                answers = [Resolution(code, Outcome.ACTIVE, code, (), (), version, state)
                           for state in states]  # fmt: skip
                self._add(code, starts, answers)
            else:
                self._add(code, *builder.answers(code))
            for state in states:
                alt = state.alt_code
                if alt and aliases.get(alt) == (code,):  # resolve_at follows the unit itself
                    del aliases[alt]
                    self._alternates[alt] = code
        for alias in aliases:  # old codes (and alternate codes claimed by several units)
            self._add(alias, *builder.answers(alias))

    def _add(self, code: str, starts: list[float], answers: list[Resolution]) -> None:
        if not answers:
            return
        self._index[code] = (starts, answers)
        if starts[-1] <= self._built_at:
            self._current[code] = answers[-1]

    def __len__(self) -> int:
        """How many codes (unit codes and aliases) the index answers for."""
        return len(self._index) + len(self._alternates)

    def resolve(self, code: str, at: datetime | None = None) -> Resolution:
        """Where `code` leads at `at` (an aware datetime; default: now)."""
        if at is None:
            answer = self._current.get(code)
            if answer is not None:  # its last change took effect before the index was built
                return answer
            moment = time()
        else:
            last = self._last  # one tuple, so threads never pair one time with another's moment
            if at is last[0]:  # the recipients of one packet are resolved at one time
                moment = last[1]
            elif at.tzinfo is None:
                raise ValueError("resolve needs an aware datetime (with a time zone), not naive")
            else:
                moment = at.timestamp()
                self._last = (at, moment)
        entry = self._index.get(code)
        if entry is not None:
            index = bisect_right(entry[0], moment) - 1
            if index >= 0:
                return entry[1][index]
            # Asked before the unit existed: keep that answer too, in a new entry (one dict
            # assignment, so a concurrent reader sees the old entry or the new one, whole).
            unknown = Resolution(code, Outcome.UNKNOWN, None, (), (), self.version)
            self._index[code] = ([-inf, *entry[0]], [unknown, *entry[1]])
            return unknown
        else:
            unit = self._alternates.get(code)
            if unit is not None:
                return _as_input(code, self.resolve(unit, at))
            tidy = code.strip().upper()
            if tidy != code:
                return _as_input(code, self.resolve(tidy, at))
        return Resolution(code, Outcome.UNKNOWN, None, (), (), self.version)


class _IndexBuilder:
    """Finds, for a code, every moment its answer may change, and the answer from then on."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._moments: dict[str, frozenset[datetime]] = {}

    def answers(self, code: str) -> tuple[list[float], list[Resolution]]:
        """The moments the answer for `code` changes, and the answer from each on."""
        if code in self.registry:
            moments = self._moments_of(code, frozenset())
        else:
            moments = frozenset().union(
                *(self._moments_of(owner, frozenset()) for owner in self.registry.aliases[code])
            )
        starts: list[float] = []
        answers: list[Resolution] = []
        for moment in sorted(moments):
            answer = resolve_at(self.registry, code, moment)
            if answers and answers[-1]._key() == answer._key():
                continue
            if not answers and answer.outcome is Outcome.UNKNOWN:
                continue  # before the unit existed: the lookup's default answer says so
            starts.append(moment.timestamp())
            answers.append(answer)
        return starts, answers

    def _moments_of(self, code: str, visiting: frozenset[str]) -> frozenset[datetime]:
        """The start of every state of `code` and of every unit its successors lead to."""
        known = self._moments.get(code)
        if known is not None:
            return known
        history = self.registry.history(code)
        if history is None or code in visiting:
            return frozenset()
        moments = {state.since for state in history.states}
        for state in history.states:
            for successor in state.successors:
                moments |= self._moments_of(successor, visiting | {code})
        found = frozenset(moments)
        self._moments[code] = found
        return found
