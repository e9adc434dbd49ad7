"""When the retry worker looks ahead (`routing.retry_lookahead.Lookahead`): at its first
partitions, when the registry's epoch changes, when it is given partitions it has not looked
through; not while it holds none, nor for a while after a look-ahead failed. And which records
it sends on: those for a code the registry says closed, never an active or unknown code's."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiokafka import ConsumerRecord, TopicPartition

from orgcodes.resolver import Resolver
from routing.destinations import Destination
from routing.outcomes import Route
from routing.registry_routes import RegistryRoutes
from routing.retry_lookahead import Lookahead
from tests.orgcodes.test_registry import DISTRICT, LONG_AN, TAY_NINH, baseline, rearrangement

A, B = TopicPartition("retry-1", 0), TopicPartition("retry-1", 1)
AFTER = datetime(2025, 8, 1, tzinfo=UTC)


@dataclass
class Epochs:
    """A directory whose epoch the test moves."""

    value: Hashable = 1

    def destination(self, code: str) -> Destination | None:
        return Destination(code)

    def route(self, code: str, *, at: datetime) -> Route:
        raise AssertionError("not asked here")

    def epoch(self) -> Hashable:
        return self.value


def lookahead(directory: Epochs | RegistryRoutes) -> Lookahead:
    return Lookahead("127.0.0.1:9", directory, client_id="test")


def test_it_looks_ahead_at_the_start_on_a_new_epoch_and_on_new_partitions() -> None:
    directory = Epochs()
    ahead = lookahead(directory)
    assert ahead.changed([]) is None  # no partition yet: nothing to look through
    first = ahead.changed([A])
    assert first is not None and first.partitions == {A}
    ahead.swept(first)
    assert ahead.changed([A]) is None
    assert ahead.changed([]) is None
    more = ahead.changed([A, B])  # a rebalance gave it B
    assert more is not None and more.partitions == {A, B}
    ahead.swept(more)
    assert ahead.changed([B]) is None  # a partition taken away needs no look
    directory.value = 2  # a version applied, or a future-dated change took effect
    assert ahead.changed([A, B]) is not None


def test_after_a_failure_it_waits_before_trying_again() -> None:
    ahead = lookahead(Epochs())
    assert ahead.changed([A]) is not None
    ahead.failed()
    assert ahead.changed([A]) is None


def record(key: str) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        "retry-1",
        0,
        7,
        0,
        0,
        key.encode(),
        b"value",
        None,
        5,
        5,
        (),  # type: ignore[arg-type]
    )


def test_it_sends_on_only_what_waits_for_a_code_the_registry_closed() -> None:
    registry = baseline().apply(rearrangement()).registry
    routes = RegistryRoutes(Resolver(registry), clock=lambda: AFTER)
    ahead = lookahead(routes)
    assert ahead.closed(record(LONG_AN))  # merged into Tay Ninh
    assert ahead.closed(record(DISTRICT))  # closed outright: ends with a 02
    assert not ahead.closed(record(TAY_NINH))  # active
    assert not ahead.closed(record("000.00.00.H99"))  # unknown: not for the look-ahead
    before = RegistryRoutes(Resolver(registry), clock=lambda: AFTER - timedelta(days=60))
    assert not lookahead(before).closed(record(LONG_AN))  # not yet merged then
