"""The routing workers of one node process, wired to Kafka: deliver, retry, track.

`axis serve` runs all three; `axis worker deliver|retry|track` runs one. Each is a member of its
consumer group (named from the topic prefix), so starting more processes spreads the
partitions over them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from aiokafka import AIOKafkaConsumer

from routing.backlog import DeliveryBacklog
from routing.bus import make_consumer, make_producer, transactional_id
from routing.delivery_worker import DeliveryContext, DeliveryWorker
from routing.retry_lookahead import Lookahead
from routing.retry_worker import RetryWorker
from routing.together import run_together
from routing.tracker_worker import TrackerWorker
from routing.worker_health import WorkerHealth
from routing.worker_loop import STALL_SECONDS, BatchHandler, Build, run_worker


class WorkerRole(str, Enum):
    DELIVER = "deliver"
    RETRY = "retry"
    TRACK = "track"


@dataclass(frozen=True, slots=True)
class Groups:
    """The consumer group of each role, so that several axes can share one Kafka cluster."""

    prefix: str

    def of(self, role: WorkerRole) -> str:
        return f"{self.prefix}{role.value}"


async def run_roles(
    bootstrap: str,
    context: DeliveryContext,
    roles: Sequence[WorkerRole],
    stop: asyncio.Event,
    *,
    poll_ms: int = 200,
    health: WorkerHealth | None = None,
    stall_seconds: float = STALL_SECONDS,
    backlog: DeliveryBacklog | None = None,
) -> None:
    """Run the workers of `roles` until `stop` is set (a failing worker stops them all); each
    says in `health` whether it moves, and rebuilds itself when stuck (`routing.worker_loop`);
    the delivery worker says in `backlog` how far behind it is (`routing.backlog`)."""
    work = {
        role.value: run_worker(
            _builder(bootstrap, context, role),
            stop,
            poll_ms=poll_ms,
            name=role.value,
            health=health,
            stall_seconds=stall_seconds,
            backlog=backlog if role is WorkerRole.DELIVER else None,
        )
        for role in roles
    }
    await run_together(work, stop)


def _builder(bootstrap: str, context: DeliveryContext, role: WorkerRole) -> Build:
    """What builds the consumer and the handler (with a new producer) of `role`."""
    layout = context.layout
    group = Groups(layout.prefix).of(role)
    client_id = f"axis-{context.node_id}-{role.value}"

    def build() -> tuple[AIOKafkaConsumer, BatchHandler]:
        if role is WorkerRole.TRACK:
            consumer = make_consumer(
                bootstrap, layout.tracking.name, layout.dead_letters.name,
                group_id=group, client_id=client_id, max_poll_records=500,
            )  # fmt: skip
            tracker = TrackerWorker(
                layout, context.sessions, codec=context.codec, clock=context.clock
            )
            return consumer, tracker
        producer = make_producer(
            bootstrap,
            client_id=client_id,
            transactional_id=transactional_id(layout.prefix, role.value, context.node_id),
        )
        if role is WorkerRole.RETRY:
            topics = [tier.name for tier in layout.retries]
            consumer = make_consumer(bootstrap, *topics, group_id=group, client_id=client_id)
            lookahead = Lookahead(
                bootstrap, context.directory, client_id=f"{client_id}-ahead", clock=context.clock
            )
            return consumer, RetryWorker(
                layout, producer, group, clock=context.clock, lookahead=lookahead
            )
        consumer = make_consumer(
            bootstrap, layout.deliveries.name, group_id=group, client_id=client_id,
            max_poll_records=500,
        )  # fmt: skip
        return consumer, DeliveryWorker(context, producer, group)

    return build
