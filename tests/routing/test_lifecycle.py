"""The delivery lifecycle: forward only, whatever order tracking events arrive in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envelopes.records import TrackingEventType as E
from routing.lifecycle import TERMINAL, Effect, Phase, advance

FORWARD = [Phase.QUEUED, Phase.RETRYING, Phase.DELIVERED, Phase.FETCHED, Phase.ACKNOWLEDGED]


def run(events: list[E], start: Phase | None = None) -> Phase | None:
    phase = start
    for event in events:
        phase = advance(phase, event).phase
    return phase


def test_the_happy_path_of_a_pull_delivery() -> None:
    assert run([E.ROUTED, E.DELIVERED, E.FETCHED, E.ACKNOWLEDGED]) is Phase.ACKNOWLEDGED


@pytest.mark.parametrize(
    ("current", "event", "effect", "after"),
    [
        (Phase.FETCHED, E.DELIVERED, Effect.STALE, Phase.FETCHED),
        (Phase.DELIVERED, E.DELIVERED, Effect.UNCHANGED, Phase.DELIVERED),
        (Phase.RETRYING, E.RETRY_SCHEDULED, Effect.UNCHANGED, Phase.RETRYING),
        (Phase.RETRYING, E.DELIVERED, Effect.MOVED, Phase.DELIVERED),
        (Phase.QUEUED, E.DEAD_LETTERED, Effect.MOVED, Phase.DEAD),
        (Phase.DELIVERED, E.DEAD_LETTERED, Effect.STALE, Phase.DELIVERED),
        (Phase.FETCHED, E.FAILED, Effect.MOVED, Phase.FAILED),
        (Phase.ACKNOWLEDGED, E.FAILED, Effect.AFTER_END, Phase.ACKNOWLEDGED),
        (Phase.DEAD, E.DELIVERED, Effect.AFTER_END, Phase.DEAD),
        (Phase.DEAD, E.REPLAYED, Effect.MOVED, Phase.QUEUED),
        (Phase.FAILED, E.REPLAYED, Effect.MOVED, Phase.QUEUED),
        (Phase.ACKNOWLEDGED, E.REPLAYED, Effect.AFTER_END, Phase.ACKNOWLEDGED),
        (Phase.DELIVERED, E.REPLAYED, Effect.UNCHANGED, Phase.DELIVERED),
        (Phase.FETCHED, E.STATUS, Effect.UNCHANGED, Phase.FETCHED),
        (None, E.ACCEPTED, Effect.UNCHANGED, None),
        (None, E.DELIVERED, Effect.MOVED, Phase.DELIVERED),
        (Phase.RETRYING, E.REROUTED, Effect.MOVED, Phase.REROUTED),
        (Phase.QUEUED, E.REROUTED, Effect.MOVED, Phase.REROUTED),
        (Phase.REROUTED, E.DELIVERED, Effect.AFTER_END, Phase.REROUTED),
        (Phase.REROUTED, E.REPLAYED, Effect.AFTER_END, Phase.REROUTED),
        (Phase.ACKNOWLEDGED, E.REROUTED, Effect.AFTER_END, Phase.ACKNOWLEDGED),
    ],
)
def test_single_steps(current: Phase | None, event: E, effect: Effect, after: Phase | None) -> None:
    step = advance(current, event)
    assert (step.effect, step.phase) == (effect, after)
    assert step.moved == (effect is Effect.MOVED)


def test_a_replayed_dead_letter_to_a_closed_code_ends_rerouted() -> None:
    """Replayed after its recipient closed, a dead letter is re-routed to the successor: the
    delivery to the closed code ends there (the successor's is a delivery of its own)."""
    assert run([E.ROUTED, E.RETRY_SCHEDULED, E.DEAD_LETTERED, E.REPLAYED, E.REROUTED]) is (
        Phase.REROUTED
    )


def test_a_replayed_dead_letter_can_be_delivered_again() -> None:
    assert run([E.ROUTED, E.RETRY_SCHEDULED, E.DEAD_LETTERED, E.REPLAYED, E.DELIVERED]) is (
        Phase.DELIVERED
    )


@given(st.lists(st.sampled_from([e for e in E if e is not E.REPLAYED]), max_size=30))
def test_without_replays_no_order_of_events_moves_a_delivery_backwards(events: list[E]) -> None:
    phase: Phase | None = None
    for event in events:
        before = phase
        phase = advance(phase, event).phase
        if before in TERMINAL:
            assert phase is before
        elif before is not None and phase in FORWARD and before in FORWARD:
            assert FORWARD.index(phase) >= FORWARD.index(before)


@given(st.permutations([E.ROUTED, E.DELIVERED, E.FETCHED, E.ACKNOWLEDGED]))
def test_the_end_state_does_not_depend_on_arrival_order(events: list[E]) -> None:
    assert run(list(events)) is Phase.ACKNOWLEDGED
