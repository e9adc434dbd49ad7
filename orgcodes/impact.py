"""What a change set will do to the registry, worked out before it is applied.

`impact` applies the change set to a copy of the registry (nothing is stored) and says, for
every code that stops receiving at the change set's effective time (merged into another, split,
closed), where a document addressed to it goes from then on: the successor, the candidates of a
split, or nowhere. The other changes (units created, renamed, moved, updated) are counted. The
node's side of the preview (deliveries in flight, inbox items, clients and certificates bound
to those codes) is `axis.services.registry_preview`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orgcodes.changes import ChangeSet, Close, Merge, Split
from orgcodes.registry import Registry
from orgcodes.resolver import Outcome, resolve_at


@dataclass(frozen=True, slots=True)
class CeasingCode:
    """A code that stops receiving, and where its documents go from the effective time on."""

    code: str
    name: str
    change: str
    """`merged`, `split` or `closed`."""
    outcome: Outcome
    """`redirected` (to `successor`), `ambiguous` (a split: `candidates`) or `closed`."""
    successor: str | None
    chain: tuple[str, ...]
    candidates: tuple[str, ...]
    reason: str | None
    """Why a document to it cannot be delivered any more (a split, a close), for a clerk."""

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code, "name": self.name, "change": self.change,
            "outcome": self.outcome.value, "successor": self.successor,
            "chain": list(self.chain), "candidates": list(self.candidates),
            "reason": self.reason,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Impact:
    version: int
    """The version the change set would be applied as."""
    effective: datetime
    reason: str
    ceasing: tuple[CeasingCode, ...]
    other_changes: dict[str, int]
    """How many units each other operation touches (`create`, `rename`, `move`, `update`)."""


def impact(registry: Registry, change_set: ChangeSet) -> Impact:
    """What `change_set` would do to `registry`; `RegistryError` when it does not fit (the same
    refusal applying it would give)."""
    after = registry.apply(change_set).registry
    at = change_set.effective
    ceasing: dict[str, str] = {}
    others: Counter[str] = Counter()
    for change in change_set.changes:
        if isinstance(change, Merge):
            ceasing.update((code, "merged") for code in change.sources if code != change.into)
        elif isinstance(change, Split):
            ceasing[change.source] = "split"
        elif isinstance(change, Close):
            ceasing[change.code] = "closed"
        else:
            others[type(change).__name__.lower()] += 1
    found = []
    for code, kind in ceasing.items():
        before = registry.get(code, at)
        answer = resolve_at(after, code, at)
        unit = CeasingCode(
            code=code, name=before.name if before is not None else "", change=kind,
            outcome=answer.outcome, successor=answer.target, chain=answer.chain,
            candidates=answer.candidates, reason=answer.reason,
        )  # fmt: skip
        found.append(unit)
    return Impact(
        version=after.version,
        effective=at,
        reason=change_set.reason,
        ceasing=tuple(found),
        other_changes=dict(others),
    )
