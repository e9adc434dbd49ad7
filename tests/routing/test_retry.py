"""Retry policy: permanent failures are not retried; transient ones wait on growing tiers
until the horizon, then are dead-lettered with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing.retry import (
    Failure,
    FailureClass,
    GiveUp,
    RetryAt,
    RetryPolicy,
    classify_http_status,
)

T0 = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)
DOWN = Failure("PUSH_CONNECT", "connection refused", FailureClass.TRANSIENT)
REFUSED = Failure("PUSH_HTTP_400", "endpoint refused the packet", FailureClass.PERMANENT)


def test_delays_grow_tier_by_tier_then_repeat_the_last_until_the_horizon() -> None:
    policy = RetryPolicy()  # 30 s, 5 min, 1 h, 6 h; 48 h
    now = T0
    delays = []
    for failures in range(1, 20):
        decision = policy.after(DOWN, failures_so_far=failures, first_failure=T0, now=now)
        if isinstance(decision, GiveUp):
            break
        delays.append(decision.delay)
        now = decision.due
    assert delays[:4] == [timedelta(seconds=30), timedelta(minutes=5), timedelta(hours=1),
                          timedelta(hours=6)]  # fmt: skip
    assert set(delays[4:]) == {timedelta(hours=6)}
    assert isinstance(decision, GiveUp)
    assert decision.exhausted
    assert now - T0 <= timedelta(hours=48)
    assert "horizon 48.0 h" in decision.reason and "PUSH_CONNECT" in decision.reason


def test_permanent_failures_give_up_at_once_with_the_reason() -> None:
    decision = RetryPolicy().after(REFUSED, failures_so_far=1, first_failure=T0, now=T0)
    assert decision == GiveUp(reason="PUSH_HTTP_400: endpoint refused the packet", exhausted=False)


def test_a_short_policy_for_tests() -> None:
    policy = RetryPolicy(delays=(timedelta(seconds=1), timedelta(seconds=2)),
                         horizon=timedelta(seconds=5))  # fmt: skip
    first = policy.after(DOWN, failures_so_far=1, first_failure=T0, now=T0)
    assert first == RetryAt(tier=0, delay=timedelta(seconds=1), due=T0 + timedelta(seconds=1))
    late = policy.after(DOWN, failures_so_far=3, first_failure=T0, now=T0 + timedelta(seconds=4))
    assert isinstance(late, GiveUp)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(500, FailureClass.TRANSIENT), (503, FailureClass.TRANSIENT), (429, FailureClass.TRANSIENT),
     (408, FailureClass.TRANSIENT), (400, FailureClass.PERMANENT), (403, FailureClass.PERMANENT),
     (404, FailureClass.PERMANENT), (413, FailureClass.PERMANENT)],
)  # fmt: skip
def test_http_answers_are_classed(status: int, expected: FailureClass) -> None:
    assert classify_http_status(status) is expected


def test_bad_policies_and_calls_are_refused() -> None:
    with pytest.raises(ValueError, match="grow"):
        RetryPolicy(delays=(timedelta(minutes=5), timedelta(seconds=30)))
    with pytest.raises(ValueError, match="positive"):
        RetryPolicy(delays=())
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy().after(DOWN, failures_so_far=0, first_failure=T0, now=T0)
    with pytest.raises(ValueError, match="success"):
        classify_http_status(204)
