"""Tests of the forward-only status rule for a delivery."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envelopes.codes import StatusCode as S
from envelopes.status_rules import DeliveryState, Outcome, decide, replay

PROGRESS = (S.ARRIVED, S.ACCEPTED, S.ASSIGNED, S.PROCESSING, S.FINISHED)
ASK = S.TAKE_BACK_REQUESTED
CHANGE = (ASK, S.CHANGE_ACCEPTED, S.CHANGE_REFUSED)


@pytest.mark.parametrize(
    ("progress", "incoming", "outcome", "after"),
    [
        (None, S.ARRIVED, Outcome.ADVANCED, S.ARRIVED),
        (S.ARRIVED, S.ACCEPTED, Outcome.ADVANCED, S.ACCEPTED),
        (S.ACCEPTED, S.ASSIGNED, Outcome.ADVANCED, S.ASSIGNED),
        (S.ASSIGNED, S.PROCESSING, Outcome.ADVANCED, S.PROCESSING),
        (S.PROCESSING, S.FINISHED, Outcome.ADVANCED, S.FINISHED),
        # skipping forward: a status was lost or is still on its way
        (None, S.FINISHED, Outcome.ADVANCED, S.FINISHED),
        (S.ARRIVED, S.ASSIGNED, Outcome.ADVANCED, S.ASSIGNED),
        # duplicates
        (S.ACCEPTED, S.ACCEPTED, Outcome.IGNORED_DUPLICATE, S.ACCEPTED),
        (S.FINISHED, S.FINISHED, Outcome.IGNORED_DUPLICATE, S.FINISHED),
        (S.REJECTED, S.REJECTED, Outcome.IGNORED_DUPLICATE, S.REJECTED),
        # late statuses
        (S.ASSIGNED, S.ACCEPTED, Outcome.IGNORED_BACKWARDS, S.ASSIGNED),
        (S.PROCESSING, S.ARRIVED, Outcome.IGNORED_BACKWARDS, S.PROCESSING),
        (S.FINISHED, S.ARRIVED, Outcome.IGNORED_AFTER_TERMINAL, S.FINISHED),
        # rejection: terminal, only before the work started
        (None, S.REJECTED, Outcome.ADVANCED, S.REJECTED),
        (S.ARRIVED, S.REJECTED, Outcome.ADVANCED, S.REJECTED),
        (S.ACCEPTED, S.REJECTED, Outcome.ADVANCED, S.REJECTED),
        (S.ASSIGNED, S.REJECTED, Outcome.IGNORED_NOT_ALLOWED, S.ASSIGNED),
        (S.PROCESSING, S.REJECTED, Outcome.IGNORED_NOT_ALLOWED, S.PROCESSING),
        (S.FINISHED, S.REJECTED, Outcome.IGNORED_AFTER_TERMINAL, S.FINISHED),
        (S.REJECTED, S.ACCEPTED, Outcome.IGNORED_AFTER_TERMINAL, S.REJECTED),
        (S.REJECTED, S.FINISHED, Outcome.IGNORED_AFTER_TERMINAL, S.REJECTED),
    ],
)
def test_progress_track(progress: S | None, incoming: S, outcome: Outcome, after: S | None) -> None:
    transition = decide(DeliveryState(progress=progress), incoming)
    assert transition.outcome is outcome
    assert transition.advanced is (outcome is Outcome.ADVANCED)
    assert transition.state == DeliveryState(progress=after)
    assert transition.previous == DeliveryState(progress=progress)
    assert transition.incoming is incoming


@pytest.mark.parametrize(
    ("change", "incoming", "outcome", "after"),
    [
        (None, S.TAKE_BACK_REQUESTED, Outcome.ADVANCED, S.TAKE_BACK_REQUESTED),
        (S.TAKE_BACK_REQUESTED, S.CHANGE_ACCEPTED, Outcome.ADVANCED, S.CHANGE_ACCEPTED),
        (S.TAKE_BACK_REQUESTED, S.CHANGE_REFUSED, Outcome.ADVANCED, S.CHANGE_REFUSED),
        (None, S.CHANGE_ACCEPTED, Outcome.ADVANCED, S.CHANGE_ACCEPTED),
        (S.TAKE_BACK_REQUESTED, S.TAKE_BACK_REQUESTED, Outcome.IGNORED_DUPLICATE, ASK),
        (S.CHANGE_ACCEPTED, S.CHANGE_REFUSED, Outcome.IGNORED_AFTER_TERMINAL, S.CHANGE_ACCEPTED),
        (S.CHANGE_REFUSED, S.TAKE_BACK_REQUESTED, Outcome.IGNORED_AFTER_TERMINAL, S.CHANGE_REFUSED),
    ],
)
def test_change_track(change: S | None, incoming: S, outcome: Outcome, after: S | None) -> None:
    transition = decide(DeliveryState(progress=S.ASSIGNED, change=change), incoming)
    assert transition.outcome is outcome
    assert transition.state == DeliveryState(progress=S.ASSIGNED, change=after)


@pytest.mark.parametrize("incoming", CHANGE)
def test_change_conversation_survives_finished_or_rejected_delivery(incoming: S) -> None:
    for progress in (S.FINISHED, S.REJECTED):
        transition = decide(DeliveryState(progress=progress), incoming)
        assert transition.advanced
        assert transition.state == DeliveryState(progress=progress, change=incoming)


@pytest.mark.parametrize("incoming", [*PROGRESS, S.REJECTED])
def test_progress_does_not_touch_change_conversation(incoming: S) -> None:
    state = decide(DeliveryState(change=S.CHANGE_REFUSED), incoming).state
    assert state.change is S.CHANGE_REFUSED


def test_none_means_no_status_yet() -> None:
    assert decide(None, S.ARRIVED).previous == DeliveryState()


def test_duplicate_03_and_late_01_after_06_do_not_move_it() -> None:
    state = replay([S.ARRIVED, S.ACCEPTED, S.ACCEPTED])
    assert state.progress is S.ACCEPTED
    assert decide(state, S.ACCEPTED).outcome is Outcome.IGNORED_DUPLICATE
    finished = replay([S.FINISHED], start=state)
    assert finished.is_finished
    late = decide(finished, S.ARRIVED)
    assert late.outcome is Outcome.IGNORED_AFTER_TERMINAL
    assert late.state == finished


# --- properties -------------------------------------------------------------------------------

_RANK = {code: rank for rank, code in enumerate(PROGRESS, start=1)}


def _at_least(new: S | None, old: S | None) -> bool:
    """The partial order of the progress track: 02 sits above 01 and 03, beside 04..06."""
    if old is None or new == old:
        return True
    if new is None or old in (S.REJECTED, S.FINISHED):
        return False
    if new is S.REJECTED:
        return old in (S.ARRIVED, S.ACCEPTED)
    return _RANK[new] > _RANK[old]


def _expected_progress(statuses: list[S]) -> S | None:
    """The furthest state the rules can reach, computed from the whole sequence at once:
    the first 02 that came while nothing beyond 03 was known wins unless 06 came before it;
    otherwise the highest status of the main progression."""
    main = [s for s in statuses if s not in CHANGE]
    for index, status in enumerate(main):
        if status is S.FINISHED:
            break
        if status is S.REJECTED and all(s in (S.ARRIVED, S.ACCEPTED) for s in main[:index]):
            return S.REJECTED
    ranked = [s for s in main if s is not S.REJECTED]
    return max(ranked, key=_RANK.__getitem__) if ranked else None


def _expected_change(statuses: list[S]) -> S | None:
    answers = [s for s in statuses if s in (S.CHANGE_ACCEPTED, S.CHANGE_REFUSED)]
    if answers:
        return answers[0]
    return S.TAKE_BACK_REQUESTED if S.TAKE_BACK_REQUESTED in statuses else None


statuses = st.lists(st.sampled_from(list(S)), max_size=30)


@given(statuses)
def test_state_never_moves_backwards(sequence: list[S]) -> None:
    state = DeliveryState()
    for status in sequence:
        transition = decide(state, status)
        assert _at_least(transition.state.progress, state.progress)
        if state.change in (S.CHANGE_ACCEPTED, S.CHANGE_REFUSED):
            assert transition.state.change == state.change
        if not transition.advanced:
            assert transition.state == state
        state = transition.state


@given(statuses)
def test_final_state_is_the_furthest_the_rules_allow(sequence: list[S]) -> None:
    state = replay(sequence)
    assert state.progress == _expected_progress(sequence)
    assert state.change == _expected_change(sequence)


@given(statuses, st.data())
def test_replaying_a_duplicate_changes_nothing(sequence: list[S], data: st.DataObject) -> None:
    state = replay(sequence)
    if sequence:
        again = data.draw(st.sampled_from(sequence))
        assert replay([again], start=state) == state
