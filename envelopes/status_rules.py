"""The rule that decides whether an incoming edXML status moves a delivery's state forward."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from envelopes.codes import StatusCode

# Rules chosen here (QCVN 102:2016 only says "forward only; 02 is terminal from 01 or 03"):
#
# * Progress track: 01 -> 03 -> 04 -> 05 -> 06. Skipping forward is allowed because status
#   packets get lost or overtake each other; 06 is terminal.
# * 02 (rejected) is terminal and reachable only before the work started: from nothing, 01 or 03.
#   Once the recipient reported 04 (assigned) or 05 (processing), a 02 is a protocol violation;
#   it is kept in the timeline but does not end a delivery that a handler already owns.
# * Change track: 13 (take back / change requested) -> 15 accepted | 16 refused, both terminal.
#   A 15/16 without a 13 is accepted, since the request usually travels as a revoke, update or
#   replace *document* packet rather than as a 13 status. The change track never touches the
#   progress track: a document the recipient agreed to take back still shows how far its
#   handling had gone. One conversation per delivery: a later revoke/update/replace is its own
#   packet with its own delivery and therefore its own change track.

_PROGRESS_ORDER: tuple[StatusCode, ...] = (
    StatusCode.ARRIVED,
    StatusCode.ACCEPTED,
    StatusCode.ASSIGNED,
    StatusCode.PROCESSING,
    StatusCode.FINISHED,
)
_PROGRESS_RANK: dict[StatusCode, int] = {code: rank for rank, code in enumerate(_PROGRESS_ORDER)}
_REJECTABLE_FROM: frozenset[StatusCode | None] = frozenset(
    {None, StatusCode.ARRIVED, StatusCode.ACCEPTED}
)
_PROGRESS_TERMINAL = frozenset({StatusCode.FINISHED, StatusCode.REJECTED})

_CHANGE_TRACK = frozenset(
    {StatusCode.TAKE_BACK_REQUESTED, StatusCode.CHANGE_ACCEPTED, StatusCode.CHANGE_REFUSED}
)
_CHANGE_TERMINAL = frozenset({StatusCode.CHANGE_ACCEPTED, StatusCode.CHANGE_REFUSED})


class Outcome(str, Enum):
    """What an incoming status did to the state; every outcome but `advanced` leaves it as is."""

    ADVANCED = "advanced"
    IGNORED_DUPLICATE = "ignored_duplicate"
    IGNORED_BACKWARDS = "ignored_backwards"
    IGNORED_AFTER_TERMINAL = "ignored_after_terminal"
    IGNORED_NOT_ALLOWED = "ignored_not_allowed"
    """A rejection (02) after the recipient reported the document assigned or in progress."""


@dataclass(frozen=True, slots=True)
class DeliveryState:
    """Where one delivery stands: how far its handling went, and its change conversation.

    The two tracks are separate so that a revoke/update/replace conversation (13/15/16) can
    neither advance nor undo the handling progress (01..06, 02).
    """

    progress: StatusCode | None = None
    change: StatusCode | None = None

    @property
    def is_finished(self) -> bool:
        """True once the handling reached a terminal status (06 finished or 02 rejected)."""
        return self.progress in _PROGRESS_TERMINAL


@dataclass(frozen=True, slots=True)
class Transition:
    """The decision for one incoming status: the caller records the status in the timeline
    whatever the outcome, and stores `state` (unchanged unless `advanced`)."""

    incoming: StatusCode
    outcome: Outcome
    previous: DeliveryState
    state: DeliveryState

    @property
    def advanced(self) -> bool:
        return self.outcome is Outcome.ADVANCED


def decide(current: DeliveryState | None, incoming: StatusCode) -> Transition:
    """Decide what `incoming` does to a delivery in state `current` (None: no status yet)."""
    previous = current if current is not None else DeliveryState()
    if incoming in _CHANGE_TRACK:
        outcome = _decide_change(previous.change, incoming)
        state = DeliveryState(previous.progress, incoming)
    else:
        outcome = _decide_progress(previous.progress, incoming)
        state = DeliveryState(incoming, previous.change)
    if outcome is not Outcome.ADVANCED:
        state = previous
    return Transition(incoming=incoming, outcome=outcome, previous=previous, state=state)


def replay(statuses: Iterable[StatusCode], start: DeliveryState | None = None) -> DeliveryState:
    """The state after applying `statuses` in arrival order, e.g. to rebuild it from a timeline."""
    state = start if start is not None else DeliveryState()
    for status in statuses:
        state = decide(state, status).state
    return state


def _decide_progress(current: StatusCode | None, incoming: StatusCode) -> Outcome:
    if incoming == current:
        return Outcome.IGNORED_DUPLICATE
    if current in _PROGRESS_TERMINAL:
        return Outcome.IGNORED_AFTER_TERMINAL
    if incoming is StatusCode.REJECTED:
        return Outcome.ADVANCED if current in _REJECTABLE_FROM else Outcome.IGNORED_NOT_ALLOWED
    if current is not None and _PROGRESS_RANK[incoming] < _PROGRESS_RANK[current]:
        return Outcome.IGNORED_BACKWARDS
    return Outcome.ADVANCED


def _decide_change(current: StatusCode | None, incoming: StatusCode) -> Outcome:
    if incoming == current:
        return Outcome.IGNORED_DUPLICATE
    if current in _CHANGE_TERMINAL:
        return Outcome.IGNORED_AFTER_TERMINAL
    return Outcome.ADVANCED
