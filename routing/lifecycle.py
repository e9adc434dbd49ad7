"""Where one delivery (message, recipient) stands on the axis, and the rule that moves it.

The phase only moves forward along queued -> retrying -> delivered -> fetched -> acknowledged,
whatever order tracking events arrive in (several workers, re-delivered Kafka records): a late
or repeated event is kept in the timeline but never moves a delivery back. `failed` (permanent
refusal) and `dead` (retries exhausted) end a delivery; only an operator's replay of its dead
letter brings it back to `queued`. `rerouted` ends a delivery whose recipient's code closed
while it was on its way: it goes on as a new delivery to the successor (whose own row the same
event batch opens). Status packets (01..06) are a separate track, see
envelopes.status_rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from envelopes.records import TrackingEventType


class Phase(str, Enum):
    QUEUED = "queued"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    FETCHED = "fetched"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    DEAD = "dead"
    REROUTED = "rerouted"
    """The recipient's code closed on the way; the delivery went on to its successor."""


_RANK: dict[Phase, int] = {
    Phase.QUEUED: 0,
    Phase.RETRYING: 1,
    Phase.DELIVERED: 2,
    Phase.FETCHED: 3,
    Phase.ACKNOWLEDGED: 4,
}
TERMINAL: frozenset[Phase] = frozenset(
    {Phase.ACKNOWLEDGED, Phase.FAILED, Phase.DEAD, Phase.REROUTED}
)
"""Phases after which nothing happens without an operator."""
_REPLAYABLE: frozenset[Phase] = frozenset({Phase.FAILED, Phase.DEAD})
"""Ended deliveries an operator's replay of their dead letter reopens."""

# The phase each kind of tracking event asks for; events not listed here (accepted, status,
# unknown) leave the phase alone.
_TARGET: dict[TrackingEventType, Phase] = {
    TrackingEventType.ROUTED: Phase.QUEUED,
    TrackingEventType.REDIRECTED: Phase.QUEUED,
    TrackingEventType.QUEUED: Phase.QUEUED,
    TrackingEventType.RETRY_SCHEDULED: Phase.RETRYING,
    TrackingEventType.DELIVERED: Phase.DELIVERED,
    TrackingEventType.FETCHED: Phase.FETCHED,
    TrackingEventType.ACKNOWLEDGED: Phase.ACKNOWLEDGED,
    TrackingEventType.REJECTED: Phase.FAILED,
    TrackingEventType.FAILED: Phase.FAILED,
    TrackingEventType.DEAD_LETTERED: Phase.DEAD,
    TrackingEventType.REPLAYED: Phase.QUEUED,
    TrackingEventType.HELD_BACK: Phase.RETRYING,
    TrackingEventType.REROUTED: Phase.REROUTED,
}


class Effect(str, Enum):
    MOVED = "moved"
    UNCHANGED = "unchanged"
    """The event does not concern the phase (e.g. a status packet) or repeats it."""
    STALE = "stale"
    """The event is older than what is known (e.g. `delivered` after `fetched`)."""
    AFTER_END = "after_end"
    """The delivery has ended; only a replay of a dead delivery reopens it."""


@dataclass(frozen=True, slots=True)
class Step:
    event: TrackingEventType
    effect: Effect
    phase: Phase | None

    @property
    def moved(self) -> bool:
        return self.effect is Effect.MOVED


def advance(current: Phase | None, event: TrackingEventType) -> Step:
    """The phase after `event`, for a delivery now in `current` (None: nothing known yet)."""
    target = _TARGET.get(event)
    if target is None or target == current:
        return Step(event, Effect.UNCHANGED, current)
    if current is None:
        return Step(event, Effect.MOVED, target)
    if current in _REPLAYABLE:
        moved = event is TrackingEventType.REPLAYED
        return Step(
            event, Effect.MOVED if moved else Effect.AFTER_END, target if moved else current
        )
    if event is TrackingEventType.REPLAYED:
        # Only a failed or dead delivery can be replayed; anything else is on its way or done.
        return Step(event, Effect.AFTER_END if current in TERMINAL else Effect.UNCHANGED, current)
    if current in TERMINAL:
        return Step(event, Effect.AFTER_END, current)
    if target in (Phase.FAILED, Phase.REROUTED):
        # A permanent refusal can come at any point, even from the recipient after delivery;
        # a re-routing comes while the delivery is still on its way to the closed code.
        return Step(event, Effect.MOVED, target)
    if target is Phase.DEAD:
        # Retries exhausted: only meaningful while the packet has not reached the recipient; a
        # dead letter reported after a delivery is a race lost to the delivering worker.
        reached = _RANK[current] >= _RANK[Phase.DELIVERED]
        return Step(
            event, Effect.STALE if reached else Effect.MOVED, current if reached else target
        )
    if _RANK[target] < _RANK[current]:
        return Step(event, Effect.STALE, current)
    return Step(event, Effect.MOVED, target)
