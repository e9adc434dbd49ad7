"""Throttling failed authentication: the sliding window (pure), and `/v1`'s bearer face."""

from __future__ import annotations

import pytest

from axis.http.throttle import AuthThrottle, address, client
from tests.axis.http.conftest import HttpNode

A, B = address("192.0.2.1"), address("192.0.2.2")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_is_blocked_at_its_limit_until_its_oldest_failure_leaves_the_window() -> None:
    clock = Clock()
    throttle = AuthThrottle(per_address=3, per_client=2, window=60, clock=clock)
    for step in range(3):
        assert throttle.retry_after([A]) is None
        throttle.failed([A])
        clock.now += 10 * (step < 2)
    assert throttle.retry_after([A]) == 40  # the first failure leaves at 1060; now is 1020
    assert throttle.retry_after([B]) is None, "another address is not held back"
    clock.now = 1060.5
    assert throttle.retry_after([A]) is None, "one failure left the window"
    throttle.failed([A])
    assert throttle.retry_after([A]) == 10


def test_a_claimed_client_id_has_its_own_limit_and_the_most_blocked_key_wins() -> None:
    clock = Clock()
    throttle = AuthThrottle(per_address=10, per_client=2, window=30, clock=clock)
    throttle.failed([A, client("dms")])
    clock.now += 5
    throttle.failed([B, client("dms")])
    assert throttle.retry_after([address("192.0.2.9"), client("dms")]) == 25
    assert throttle.retry_after([A, client("other")]) is None


def test_memory_is_bounded() -> None:
    throttle = AuthThrottle(per_address=1, per_client=1, window=60, max_keys=3)
    for n in range(10):
        throttle.failed([address(f"192.0.2.{n}")])
    assert throttle.retry_after([address("192.0.2.9")]) is not None
    assert throttle.retry_after([address("192.0.2.0")]) is None, "the oldest key was forgotten"


@pytest.mark.integration
async def test_failed_bearer_secrets_are_throttled_per_address(http_node: HttpNode) -> None:
    clock = Clock()
    http_node.context.throttle = AuthThrottle(
        per_address=5, per_client=100, window=120, clock=clock
    )
    async with http_node.client("g22") as good:
        assert (await good.get("/v1/inbox")).status_code == 200  # success counts nothing
    for n in range(5):
        async with http_node.client(secret=f"axk_guess_{n}") as guesser:
            assert (await guesser.get("/v1/inbox")).status_code == 401
    async with http_node.client(secret="axk_guess_6") as guesser:
        blocked = await guesser.get("/v1/inbox")
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (429, "AUTH_THROTTLED")
    assert blocked.headers["retry-after"] == "120"
    async with http_node.client("g22") as good:
        assert (await good.get("/v1/inbox")).status_code == 429, "the address is held back"
        clock.now += 121
        assert (await good.get("/v1/inbox")).status_code == 200, "and served after the window"
    async with http_node.client() as anonymous:
        schema = (await anonymous.get("/openapi.json")).json()
    assert "429" in schema["paths"]["/v1/inbox"]["get"]["responses"]
