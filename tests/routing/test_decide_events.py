"""Tracking events decided for a whole batch without I/O: each fact once (before and within the
batch), deliveries moved in order, a status for no delivery recorded nowhere."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from envelopes.codes import StatusCode
from envelopes.records import TrackingEvent, TrackingEventType
from envelopes.status_rules import DeliveryState
from routing.lifecycle import Phase
from routing.tracking import DeliveryView, decide_events, fact_key

T0 = datetime(2025, 7, 2, 8, 0, tzinfo=UTC)
H53 = "000.00.00.H53"
E = TrackingEventType


def event(message_id: UUID, kind: TrackingEventType, minute: int, **extra: object) -> TrackingEvent:
    return TrackingEvent(
        message_id=message_id, recipient_code=H53, event=kind, at=T0 + timedelta(minutes=minute),
        attempt=1, node_id="n", **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def queued(message_id: UUID) -> DeliveryView:
    return DeliveryView(
        message_id=message_id, recipient_code=H53, addressed_to=None, phase=Phase.QUEUED,
        status=DeliveryState(), attempts=0, created_at=T0, updated_at=T0, last_error=None,
    )  # fmt: skip


def test_a_batch_moves_each_delivery_in_order_and_writes_it_once() -> None:
    message = uuid4()
    current = {(str(message), H53): queued(message)}
    events = [
        (event(message, E.DELIVERED, 1), "t:0:1"),
        (event(message, E.FETCHED, 2), "t:0:2"),
        (event(message, E.STATUS, 3, status_code=StatusCode.ARRIVED), "t:0:3"),
    ]
    decided = decide_events(current, set(), events)
    assert [a.recorded for a in decided.applied] == [True, True, True]
    assert len(decided.timeline) == 3 and not decided.created
    (moved,) = decided.moved
    assert moved.phase is Phase.FETCHED and moved.last_status is StatusCode.ARRIVED
    assert moved.attempts == 1 and moved.updated_at == T0 + timedelta(minutes=3)


def test_facts_seen_before_or_twice_in_the_batch_are_recorded_once() -> None:
    message = uuid4()
    delivered = event(message, E.DELIVERED, 1)
    again = event(message, E.DELIVERED, 1)  # the same fact, from a redone batch elsewhere
    fetched = event(message, E.FETCHED, 2)
    decided = decide_events(
        {(str(message), H53): queued(message)},
        {"t:0:9"},  # a Kafka position recorded before
        [(delivered, "t:0:1"), (again, "t:0:5"), (fetched, "t:0:9")],
    )
    assert [a.effect for a in decided.applied][1:] == ["seen_before", "seen_before"]
    assert [row["fact_key"] for row in decided.timeline] == [fact_key(delivered)]
    assert decided.moved[0].phase is Phase.DELIVERED


def test_a_status_for_no_delivery_moves_nothing_and_other_events_create_one() -> None:
    unknown, created = uuid4(), uuid4()
    decided = decide_events(
        {},
        set(),
        [
            (event(unknown, E.STATUS, 1, status_code=StatusCode.ARRIVED), "t:0:1"),
            (event(created, E.DELIVERED, 2), "t:0:2"),
            (event(created, E.FETCHED, 3), "t:0:3"),
        ],
    )
    assert decided.applied[0].effect == "no_delivery" and not decided.applied[0].recorded
    (new,) = decided.created
    assert new.phase is Phase.FETCHED and not decided.moved  # created then moved: one insert


def test_a_reroute_ends_the_closed_codes_delivery_and_opens_the_successors() -> None:
    message = uuid4()
    h39 = "000.00.00.H39"
    current = {(str(message), h39): dataclasses.replace(queued(message), recipient_code=h39)}
    rerouted = dataclasses.replace(
        event(message, E.REROUTED, 1, fact="rerouted/v3"), recipient_code=h39
    )
    opened = event(message, E.REDIRECTED, 1, fact=f"rerouted-from/{h39}", addressed_to=h39)
    decided = decide_events(current, set(), [(rerouted, "t:0:1"), (opened, "t:0:2")])
    (moved,) = decided.moved
    (created,) = decided.created
    assert (moved.recipient_code, moved.phase) == (h39, Phase.REROUTED)
    assert (created.recipient_code, created.addressed_to, created.phase) == (
        H53,
        h39,
        Phase.QUEUED,
    )
    again = decide_events(
        {(str(message), h39): moved, (str(message), H53): created},
        {fact_key(rerouted) or "", fact_key(opened) or ""},
        [(rerouted, "t:1:1"), (opened, "t:1:2")],
    )
    assert [a.effect for a in again.applied] == ["seen_before", "seen_before"]
