"""The delivery worker: takes each delivery record to its recipient, by pull or by push.

For each record of a batch from the deliveries topic:
- the recipient's destination comes from the directory (the registry); a paused destination
  parks the record on the first retry tier without counting a failure;
- a recipient whose code closed after the packet was routed to it (merged, or closed with one
  successor) is *re-routed in flight*: the record goes on, as a new delivery, to the successor
  the registry names now (`rerouted` on the old delivery, with the registry version and the
  chain; the successor's delivery opens `redirected`, addressed to the code the sender used).
  The successor's inbox holds one row per message whatever reaches it twice. A code split, or
  closed without successor, ends the delivery with a 02 to the sender naming the candidates or
  the reason;
- *pull*: the packet's bytes are kept in the payload store and the inbox gets one row per
  (recipient, message id), so a record Kafka hands over twice lands once;
- *push*: the packet is POSTed to the endpoint; while its circuit breaker is open no call is
  made and the record waits on a retry tier as `held_back` (not an attempt, not a failure);
- a failure is classified; a transient one goes to the retry tier the policy names, with the
  history in the headers; a permanent one, or one past the horizon, goes to the dead-letter
  topic, and a 02 status goes back to the sender (never for a status packet: no status about
  a status, which could loop).

The batch's tracking events, retries, dead letters and notices are produced together with the
batch's consumer offsets in one Kafka transaction, after the inbox rows are committed in the
database. A crash in between repeats the batch: the inbox ignores what it holds already.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from envelopes.codes import StatusCode
from envelopes.records import (
    DeliveryRecord,
    InlinePacket,
    RecordCodec,
    RecordKind,
    TrackingEvent,
    TrackingEventType,
)
from envelopes.records import sha256 as digest
from routing.bus import Batch, commit
from routing.clock import Clock, utc_now
from routing.destinations import (
    Breakers,
    CircuitBreaker,
    DeliveryMode,
    Destination,
    Directory,
    Pauses,
)
from routing.headers import History, Origin
from routing.inbox_store import Arrival, Inbox
from routing.notices import NoticeSigner, Rejection, notice_id, rejection_packet
from routing.outcomes import REGISTRY_STALE, Route, RouteOutcome
from routing.payloads import PayloadRef, PayloadStore
from routing.push import Pusher, PushRequest
from routing.retry import Failure, FailureClass, GiveUp, RetryPolicy
from routing.topics import TopicLayout
from routing.worker_loop import Records

log = structlog.get_logger(__name__)

PAUSES_REFRESH_SECONDS = 2.0


@dataclass(slots=True)
class DeliveryContext:
    """What a delivery worker needs besides Kafka: stores, directory, policy, identity."""

    sessions: async_sessionmaker[AsyncSession]
    payloads: PayloadStore
    directory: Directory
    layout: TopicLayout
    node_id: str
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    pusher: Pusher = field(default_factory=Pusher)
    breakers: Breakers = field(default_factory=Breakers)
    codec: RecordCodec = field(default_factory=RecordCodec)
    inbox: Inbox = field(default_factory=Inbox)
    pauses: Pauses = field(default_factory=Pauses)
    clock: Clock = utc_now
    notices: NoticeSigner | None = None
    """Signs the 02 notices the node writes (None: they go unsigned)."""


class DeliveryWorker:
    """A `BatchHandler` for the deliveries topic (see routing.worker_loop)."""

    def __init__(self, context: DeliveryContext, producer: AIOKafkaProducer, group_id: str):
        self._context = context
        self._producer = producer
        self._group_id = group_id
        self._paused: frozenset[str] = frozenset()
        self._paused_read = 0.0

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        """Stop this worker's producer (the pusher is the node's: a rebuilt worker uses it)."""
        await self._producer.stop()

    async def idle(self, consumer: AIOKafkaConsumer) -> None:
        return None

    async def handle(self, consumer: AIOKafkaConsumer, records: Records) -> None:
        batch = Batch()
        await self._refresh_pauses()
        arrivals: list[DeliveryRecord] = []
        for tp, items in records.items():
            for item in items:
                await self._one(item, batch, arrivals)
                batch.consumed(tp.topic, tp.partition, item.offset)
        if arrivals:
            await self._land(arrivals, batch)
        await commit(self._producer, batch, self._group_id)

    async def _one(
        self, item: ConsumerRecord[bytes, bytes], batch: Batch, arrivals: list[DeliveryRecord]
    ) -> None:
        context = self._context
        origin = Origin(item.topic, item.partition, item.offset)
        history = History.from_headers(item.headers)
        value = item.value or b""
        try:
            record = context.codec.decode(value, DeliveryRecord)
        except Exception as error:
            # Unreadable: nothing to deliver, and no sender to tell. Kept whole for an operator.
            failure = Failure("RECORD_UNREADABLE", str(error), FailureClass.PERMANENT)
            history = history.failed(failure, context.clock(), origin).given_up(failure.message)
            batch.send(context.layout.dead_letters.name, "unreadable", value, history.to_headers())
            log.error("unreadable delivery record dead-lettered", origin=str(origin))
            return
        with structlog.contextvars.bound_contextvars(
            message_id=str(record.message_id), recipient=record.recipient_code
        ):
            destination = context.directory.destination(record.recipient_code)
            if destination is None:
                self._elsewhere(record, value, history, origin, batch)
            elif record.recipient_code in self._paused:
                self._park(value, history, batch, record)
            elif destination.mode is DeliveryMode.PULL:
                arrivals.append(record)
            else:
                breaker = context.breakers.for_endpoint(destination.endpoint or "")
                if not breaker.allows(context.clock()):
                    self._hold_back(record, value, history, breaker, origin, batch)
                    return
                refused = await self._push(record, destination, breaker)
                if refused is None:
                    self._event(batch, record, TrackingEventType.DELIVERED)
                else:
                    self._failed(record, value, history, refused, origin, batch)

    def _elsewhere(
        self,
        record: DeliveryRecord,
        value: bytes,
        history: History,
        origin: Origin,
        batch: Batch,
    ) -> None:
        """The recipient cannot receive: re-route to the successor the registry names for its
        code now, or fail permanently with the registry's reason (a 02 to the sender)."""
        code = record.recipient_code
        route = self._context.directory.route(code, at=self._context.clock())
        onward = route.target
        if route.outcome is not RouteOutcome.REJECTED and onward is not None and onward != code:
            self._reroute(record, route, onward, batch)
            return
        failure = Failure(
            route.reason_code or "RECIPIENT_CANNOT_RECEIVE",
            route.reason or f"{code} is not an active code that can receive documents.",
            # A stale registry's "no" is not final: wait for it to catch up.
            FailureClass.TRANSIENT
            if route.reason_code == REGISTRY_STALE
            else FailureClass.PERMANENT,
        )
        self._failed(record, value, history, failure, origin, batch)

    def _reroute(self, record: DeliveryRecord, route: Route, onward: str, batch: Batch) -> None:
        """Send the record on to `onward` as a new delivery, in the batch's transaction."""
        context = self._context
        closed = record.recipient_code
        addressed = record.redirected_from or closed
        chain = " -> ".join(route.chain or (closed, onward))
        version = route.registry_version
        new = dataclasses.replace(
            record, recipient_code=onward, redirected_from=addressed, attempt=1
        )
        batch.send(context.layout.deliveries.name, onward, context.codec.encode(new))
        self._event(
            batch, record, TrackingEventType.REROUTED,
            detail=f"re-routed to {onward} along {chain} (registry version {version})",
            fact=f"rerouted-to/{onward}",
        )  # fmt: skip
        emit_tracking(
            batch, context, record.message_id, onward, TrackingEventType.REDIRECTED,
            detail=f"re-routed in flight from {closed} along {chain} (registry version {version})",
            fact=f"rerouted-from/{closed}", addressed_to=addressed,
        )  # fmt: skip
        log.info("re-routed in flight", to=onward, registry_version=version)

    async def _land(self, arrivals: Sequence[DeliveryRecord], batch: Batch) -> None:
        """Put the batch's pulled packets in their inboxes, in one database transaction: small
        inline packets are stored with their inbox rows, large ones were stored beforehand."""
        context = self._context
        payloads = context.payloads
        large = {
            id(record): await payloads.put(record.packet.data)
            for record in arrivals
            if isinstance(record.packet, InlinePacket)
            and len(record.packet.data) > payloads.chunk_size
        }
        small = [
            record.packet.data
            for record in arrivals
            if isinstance(record.packet, InlinePacket) and id(record) not in large
        ]
        async with context.sessions.begin() as session:
            stored = iter(await payloads.put_small(session, small))
            landed: list[Arrival] = []
            for record in arrivals:
                packet = record.packet
                if not isinstance(packet, InlinePacket):
                    ref = PayloadRef.from_uri(packet.uri, packet.size)
                else:
                    ref = large.get(id(record)) or next(stored)
                landed.append(
                    Arrival(
                        recipient_code=record.recipient_code,
                        message_id=record.message_id,
                        kind=record.kind,
                        sender_code=record.sender_code,
                        document_id=record.document_id,
                        packet_sha256=ref.sha256,
                        packet_size=ref.size,
                        addressed_to=record.redirected_from,
                    )
                )
            landed_at = context.clock()  # delivered when in the inbox (before any fetch)
            await context.inbox.receive_many(session, landed, at=landed_at)
        for record in arrivals:
            self._event(batch, record, TrackingEventType.DELIVERED, at=landed_at)

    async def _push(
        self, record: DeliveryRecord, destination: Destination, breaker: CircuitBreaker
    ) -> Failure | None:
        """One call to the endpoint (the breaker allowed it): None when it took the packet."""
        context = self._context
        endpoint = destination.endpoint or ""
        packet = record.packet
        if isinstance(packet, InlinePacket):
            body: bytes = packet.data
        else:
            body = await context.payloads.read(PayloadRef.from_uri(packet.uri, packet.size))
        request = PushRequest(
            endpoint=endpoint,
            message_id=str(record.message_id),
            sender_code=record.sender_code,
            recipient_code=record.recipient_code,
            document_id=record.document_id,
            kind=record.kind.value,
            attempt=record.attempt,
            packet_sha256=record.packet_sha256.hex(),
        )
        started = time.monotonic()
        failure = await context.pusher.push(request, body)
        elapsed_ms = round((time.monotonic() - started) * 1000)
        if failure is None:
            breaker.succeeded()
            log.info("pushed", endpoint=endpoint, ms=elapsed_ms)
        elif failure.failure_class is FailureClass.TRANSIENT:
            breaker.failed(context.clock())
            log.warning("push failed", endpoint=endpoint, code=failure.code, ms=elapsed_ms)
        return failure

    def _hold_back(
        self,
        record: DeliveryRecord,
        value: bytes,
        history: History,
        breaker: CircuitBreaker,
        origin: Origin,
        batch: Batch,
    ) -> None:
        """The endpoint's breaker is open: no call is made, so no attempt is counted. The
        record waits on the tier that outlasts the cool-down, and is dead-lettered like any
        other once the horizon has passed since it was first held back or failed."""
        context = self._context
        now = context.clock()
        history = history.held_back(now, origin)
        held = (
            f"PUSH_CIRCUIT_OPEN: the endpoint failed {breaker.failures} times in a row; "
            "no call was made"
        )
        started = history.first_failed_at or now
        if now - started >= context.policy.horizon:
            reason = (
                f"gave up after the horizon ({context.policy.horizon}) with calls held back by "
                f"the circuit breaker; last error {history.last_error or held}"
            )
            # The record's attempt is the one it was waiting to make: never made.
            made = record.attempt - 1
            self._give_up(
                record, value, history.given_up(reason), GiveUp(reason, True), batch, made=made
            )
            return
        remaining = breaker.remaining(now)
        tiers = context.layout.retries
        tier = next((t for t in tiers if t.delay is not None and t.delay >= remaining), tiers[-1])
        assert tier.delay is not None
        due = now + tier.delay
        batch.send(tier.name, record.recipient_code, value, history.due(due).to_headers())
        self._event(batch, record, TrackingEventType.HELD_BACK, detail=f"{held} (due again {due})")
        log.info("call held back by the circuit breaker", tier=tier.name)

    def _park(self, value: bytes, history: History, batch: Batch, record: DeliveryRecord) -> None:
        """Hold a paused destination's record on the first tier, without counting a failure."""
        first = self._context.layout.retries[0]
        assert first.delay is not None
        due = self._context.clock() + first.delay
        batch.send(first.name, record.recipient_code, value, history.due(due).to_headers())

    def _failed(
        self,
        record: DeliveryRecord,
        value: bytes,
        history: History,
        failure: Failure,
        origin: Origin,
        batch: Batch,
    ) -> None:
        context = self._context
        now = context.clock()
        history = history.failed(failure, now, origin)
        decision = context.policy.after(
            failure,
            failures_so_far=history.failures,
            first_failure=history.first_failed_at or now,
            now=now,
        )
        if isinstance(decision, GiveUp):
            self._give_up(record, value, history.given_up(decision.reason), decision, batch)
            return
        tier = context.layout.retries[decision.tier]
        retried = context.codec.encode(dataclasses.replace(record, attempt=record.attempt + 1))
        batch.send(
            tier.name, record.recipient_code, retried, history.due(decision.due).to_headers()
        )
        detail = f"{failure.code}: {failure.message} (retry in {tier.name}, due {decision.due})"
        self._event(batch, record, TrackingEventType.RETRY_SCHEDULED, detail=detail)
        log.info("retry scheduled", tier=tier.name, failures=history.failures)

    def _give_up(
        self,
        record: DeliveryRecord,
        value: bytes,
        history: History,
        decision: GiveUp,
        batch: Batch,
        *,
        made: int | None = None,
    ) -> None:
        """Dead-letter the record; `made`: the attempts made, when not the record's own (the
        last attempt was held back, not made)."""
        context = self._context
        batch.send(
            context.layout.dead_letters.name, record.recipient_code, value, history.to_headers()
        )
        event = TrackingEventType.DEAD_LETTERED if decision.exhausted else TrackingEventType.FAILED
        self._event(batch, record, event, detail=decision.reason, attempt=made)
        log.warning("dead-lettered", reason=decision.reason, exhausted=decision.exhausted)
        if record.kind is not RecordKind.STATUS:
            self._reject_to_sender(record, decision.reason, batch)

    def _reject_to_sender(self, record: DeliveryRecord, reason: str, batch: Batch) -> None:
        context = self._context
        now = context.clock()
        try:
            packet = rejection_packet(
                Rejection(
                    message_id=record.message_id,
                    sender_code=record.sender_code,
                    recipient_code=record.recipient_code,
                    document_id=record.document_id,
                    reason=reason,
                    at=now,
                    node_id=context.node_id,
                ),
                context.notices,
            )
        except ValueError:
            log.exception("no 02 notice: the record's DocumentId cannot be written")
            return
        notice = DeliveryRecord(
            message_id=notice_id(record.message_id, record.recipient_code),
            kind=RecordKind.STATUS,
            sender_code=record.recipient_code,
            recipient_code=record.sender_code,
            document_id=record.document_id,
            packet=InlinePacket(packet),
            packet_sha256=digest(packet),
            submitted_at=now,
        )
        batch.send(
            context.layout.deliveries.name, notice.recipient_code, context.codec.encode(notice)
        )
        self._event(
            batch,
            record,
            TrackingEventType.STATUS,
            status=StatusCode.REJECTED,
            detail="generated by the axis",
            fact=f"axis-02/attempt={record.attempt}",
        )

    def _event(
        self,
        batch: Batch,
        record: DeliveryRecord,
        event: TrackingEventType,
        *,
        detail: str | None = None,
        status: StatusCode | None = None,
        at: datetime | None = None,
        fact: str | None = None,
        attempt: int | None = None,
    ) -> None:
        emit_tracking(
            batch,
            self._context,
            record.message_id,
            record.recipient_code,
            event,
            attempt=record.attempt if attempt is None else attempt,
            detail=detail,
            status=status,
            at=at,
            fact=fact,
        )

    async def _refresh_pauses(self) -> None:
        if time.monotonic() - self._paused_read < PAUSES_REFRESH_SECONDS:
            return
        async with self._context.sessions() as session:
            self._paused = await self._context.pauses.paused_codes(session)
        self._paused_read = time.monotonic()


def emit_tracking(
    batch: Batch,
    context: DeliveryContext,
    message_id: UUID,
    recipient_code: str,
    event: TrackingEventType,
    *,
    attempt: int = 1,
    detail: str | None = None,
    status: StatusCode | None = None,
    at: datetime | None = None,
    fact: str | None = None,
    addressed_to: str | None = None,
) -> None:
    """Add a tracking event to `batch`, keyed by message id (one message, one partition)."""
    tracking = TrackingEvent(
        message_id=message_id,
        recipient_code=recipient_code,
        event=event,
        at=at or context.clock(),
        attempt=attempt,
        node_id=context.node_id,
        status_code=status,
        detail=detail,
        fact=fact,
        addressed_to=addressed_to,
    )
    batch.send(context.layout.tracking.name, str(message_id), context.codec.encode(tracking))
