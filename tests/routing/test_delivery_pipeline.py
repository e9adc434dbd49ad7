"""The bus end to end on the real broker and PostgreSQL: pull and push delivery, tiered retries,
dead letters with their history, the 02 notice to the sender, replay, pause and resume."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from envelopes.codes import StatusCode
from envelopes.model import StatusPacket
from envelopes.parsing import parse_packet
from envelopes.records import RecordKind, TrackingEventType
from routing.dead_letters import DeadLetterQuery, DeadLetters
from routing.destinations import DeliveryMode, Destination, Pauses
from routing.inbox_store import Inbox
from routing.lifecycle import Phase
from routing.operations import AlreadyReplayed, Replayer
from routing.payloads import PayloadRef
from routing.tracking import TrackingStore
from tests.support.bus import Bus, EndpointServer, ScriptedEndpoint, delivery, eventually

pytestmark = pytest.mark.integration

SENDER = "000.00.00.G22"
PULLER = "000.00.00.H53"
PUSHER = "000.00.00.H41"


async def test_pull_deliveries_land_once_even_when_kafka_carries_them_twice(
    bus: Bus, workers: asyncio.Event
) -> None:
    first, second = delivery(PULLER), delivery(PULLER)
    await bus.submit(first, second, first)  # the first one twice, as a retried producer might

    async def landed() -> bool:
        async with bus.sessions() as session:
            items = await Inbox().list(session, [PULLER])
        phases = {await bus.phase(first), await bus.phase(second)}
        return len(items) >= 2 and phases == {Phase.DELIVERED}

    await eventually(landed, what="both packets in the inbox, tracked as delivered")
    await asyncio.sleep(1.0)  # let the duplicate record be handled too
    async with bus.sessions() as session:
        items = await Inbox().list(session, [PULLER])
        stored = await bus.context.payloads.read(
            PayloadRef(items[0].packet_sha256, items[0].packet_size)
        )
    assert sorted(str(i.message_id) for i in items) == sorted(
        [str(first.message_id), str(second.message_id)]
    )
    assert stored in {first.packet.data, second.packet.data}  # type: ignore[union-attr]
    # The repeated record is the same fact: tracked as delivered once.
    async with bus.sessions() as session:
        timeline = await TrackingStore().timeline(session, first.message_id, PULLER)
    assert [e.event for e in timeline].count(TrackingEventType.DELIVERED) == 1


async def test_a_push_endpoint_that_fails_twice_gets_the_packet_once_on_the_third_attempt(
    bus: Bus, workers: asyncio.Event
) -> None:
    endpoint = ScriptedEndpoint(fail_first=2)
    bus.directory.destinations[PUSHER] = Destination(PUSHER, DeliveryMode.PUSH, endpoint.url)
    record = delivery(PUSHER)
    async with EndpointServer(endpoint):
        await bus.submit(record)

        async def delivered() -> bool:
            return await bus.phase(record) is Phase.DELIVERED

        await eventually(delivered, what="the pushed packet tracked as delivered")
    assert endpoint.calls == 3
    assert endpoint.accepted == {str(record.message_id): 1}
    assert endpoint.bodies[str(record.message_id)] == record.packet.data  # type: ignore[union-attr]
    async with bus.sessions() as session:
        timeline = await TrackingStore().timeline(session, record.message_id)
        view = await TrackingStore().delivery(session, record.message_id, PUSHER)
    events = [entry.event for entry in timeline]
    assert events == [
        TrackingEventType.RETRY_SCHEDULED, TrackingEventType.RETRY_SCHEDULED,
        TrackingEventType.DELIVERED,
    ]  # fmt: skip
    assert "PUSH_HTTP_503" in (timeline[0].detail or "")
    assert view is not None and view.attempts == 3


async def test_an_endpoint_down_for_good_ends_in_dead_letters_with_a_02_and_replays_once(
    bus: Bus, workers: asyncio.Event
) -> None:
    endpoint = ScriptedEndpoint(down=True)
    bus.directory.destinations[PUSHER] = Destination(PUSHER, DeliveryMode.PUSH, endpoint.url)
    record = delivery(PUSHER)
    letters = DeadLetters()
    async with EndpointServer(endpoint):
        await bus.submit(record)

        async def dead() -> bool:
            async with bus.sessions() as session:
                found = await letters.find(session, DeadLetterQuery(recipient_code=PUSHER))
            return bool(found) and await bus.phase(record) is Phase.DEAD

        await eventually(dead, what="the dead letter and the dead phase")
        async with bus.sessions() as session:
            (letter,) = await letters.find(session, DeadLetterQuery(recipient_code=PUSHER))

        # The history: every attempt, the first and last error, where the record came from.
        assert letter.message_id == str(record.message_id)
        assert letter.failures >= 3 and letter.error_class == "transient"
        assert (letter.first_error or "").startswith("PUSH_HTTP_503")
        assert (letter.last_error or "").startswith("PUSH_HTTP_503")
        assert letter.origin is not None and letter.origin.startswith(bus.layout.deliveries.name)
        assert "gave up after" in (letter.reason or "")
        assert endpoint.accepted == {}

        # The sender hears of it: a 02 from the recipient, with the reason.
        async def noticed() -> bool:
            async with bus.sessions() as session:
                return bool(await Inbox().list(session, [SENDER], kind=RecordKind.STATUS))

        await eventually(noticed, what="the 02 notice in the sender's inbox")
        async with bus.sessions() as session:
            (notice,) = await Inbox().list(session, [SENDER], kind=RecordKind.STATUS)
            view = await TrackingStore().delivery(session, record.message_id, PUSHER)
        packet = parse_packet(
            await bus.context.payloads.read(PayloadRef(notice.packet_sha256, notice.packet_size))
        )
        assert isinstance(packet, StatusPacket)
        assert packet.status_code is StatusCode.REJECTED and packet.sender_code == PUSHER
        assert "gave up after" in packet.description
        assert view is not None and view.last_status is StatusCode.REJECTED

        # The endpoint recovers; the operator replays; the packet arrives once.
        endpoint.down = False
        replayer = Replayer(bus.layout, bus.producer, "test-node", bus.codec, letters)
        async with bus.sessions.begin() as session:
            await replayer.replay_one(session, letter.id, by="operator@vpcp", at=datetime.now(UTC))
        with pytest.raises(AlreadyReplayed):
            async with bus.sessions.begin() as session:
                await replayer.replay_one(session, letter.id, by="other", at=datetime.now(UTC))

        async def delivered() -> bool:
            return await bus.phase(record) is Phase.DELIVERED

        await eventually(delivered, what="the replayed packet delivered")
        await asyncio.sleep(1.0)
    assert endpoint.accepted == {str(record.message_id): 1}


async def test_a_permanent_refusal_is_not_retried(bus: Bus, workers: asyncio.Event) -> None:
    endpoint = ScriptedEndpoint(down=True, failure_status=400)
    bus.directory.destinations[PUSHER] = Destination(PUSHER, DeliveryMode.PUSH, endpoint.url)
    record = delivery(PUSHER)
    async with EndpointServer(endpoint):
        await bus.submit(record)

        async def failed() -> bool:
            return await bus.phase(record) is Phase.FAILED

        await eventually(failed, what="the failed phase")
    assert endpoint.calls == 1
    async with bus.sessions() as session:
        (letter,) = await DeadLetters().find(session, DeadLetterQuery(recipient_code=PUSHER))
    assert (letter.failures, letter.error_class) == (1, "permanent")


async def test_a_paused_destination_holds_its_deliveries_until_resumed(
    bus: Bus, workers: asyncio.Event
) -> None:
    async with bus.sessions.begin() as session:
        await Pauses().pause(
            session, PULLER, by="operator@vpcp", at=datetime.now(UTC), reason="DMS migration"
        )
    await asyncio.sleep(2.5)  # past the workers' refresh of the pause list
    record = delivery(PULLER)
    await bus.submit(record)
    await asyncio.sleep(3.0)
    async with bus.sessions() as session:
        assert await Inbox().list(session, [PULLER]) == []
    async with bus.sessions.begin() as session:
        assert await Pauses().resume(session, PULLER) is True

    async def landed() -> bool:
        async with bus.sessions() as session:
            return len(await Inbox().list(session, [PULLER])) == 1

    await eventually(landed, what="the held packet delivered after resume")


async def test_calls_held_back_by_the_circuit_breaker_are_not_counted_as_attempts(
    bus: Bus, workers: asyncio.Event
) -> None:
    bus.context.breakers.threshold = 1  # the first failure opens the breaker
    bus.context.breakers.cool_down = timedelta(seconds=60)
    endpoint = ScriptedEndpoint(down=True)
    bus.directory.destinations[PUSHER] = Destination(PUSHER, DeliveryMode.PUSH, endpoint.url)
    records = [delivery(PUSHER) for _ in range(3)]
    async with EndpointServer(endpoint):
        await bus.submit(*records)

        async def all_dead() -> bool:
            return all([await bus.phase(r) is Phase.DEAD for r in records])

        await eventually(all_dead, what="every delivery dead-lettered after the horizon")
    async with bus.sessions() as session:
        views = [await TrackingStore().delivery(session, r.message_id, PUSHER) for r in records]
        timelines = [await TrackingStore().timeline(session, r.message_id) for r in records]
    # Tracking counts the calls the endpoint actually saw, not the held-back ones.
    assert sum(v.attempts for v in views if v is not None) == endpoint.calls
    assert endpoint.calls <= 2
    held = [e for t in timelines for e in t if e.event is TrackingEventType.HELD_BACK]
    assert held and all("no call was made" in (e.detail or "") for e in held)
    assert all("PUSH_CIRCUIT_OPEN" in (e.detail or "") for e in held)
