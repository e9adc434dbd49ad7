"""A node assembled from settings with its workers running, on real Kafka and PostgreSQL: the
registry versions, development PKI and helpers the node tests and the HTTP tests share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.devtools.dev_pki import write_dev_pki
from axis.migrations.runner import upgrade
from axis.node.assembly import Node, open_node
from axis.settings import load_settings
from axis.store.db import session_factory
from axis.store.trust_repository import TrustRepository
from envelopes.records import RecordKind
from orgcodes.changes import parse_change_set
from orgcodes.service import RegistryService
from routing.inbox_store import InboxItem
from routing.lifecycle import Phase
from routing.outcomes import SubmissionResult
from routing.tracking import DeliveryView, TimelineEntry, TrackingStore
from routing.workers import WorkerRole
from signing.certificates import load_certificate, load_private_key
from signing.signer import sign_packet
from tests.support.bus import eventually

G22, H41, H53, H39, H99 = (
    "000.00.00.G22",
    "000.00.00.H41",
    "000.00.00.H53",
    "000.00.00.H39",
    "000.00.00.H99",
)
DISTRICT = "000.00.21.H39"
"""A district of Long An (H39), closed outright on 2025-07-01."""
PUSHED = "000.00.00.H26"
"""A unit whose document management system takes packets by push."""
NEWCOMER = "000.00.00.H30"
"""A unit created by a version applied while the node runs."""
ACTOR = "test_node"


def unit(code: str, name: str, *, parent: str | None = None, **details: str) -> dict[str, Any]:
    level = 1 if parent is None else 2
    created = {"code": code, "name": name, "parent": parent, "level": level, **details}
    return {"op": "create", "unit": created}


def registry_versions(push_endpoint: str) -> list[dict[str, Any]]:
    """Version 1 (2020): a few provinces, a district and a push unit; version 2 (2025-07-01):
    the district closed, Long An merged into Tay Ninh."""
    baseline = [
        unit(G22, "Văn phòng Chính phủ"),
        unit(H41, "UBND tỉnh Nghệ An"),
        unit(H53, "UBND tỉnh Tây Ninh"),
        unit(H39, "UBND tỉnh Long An"),
        unit(DISTRICT, "UBND huyện Bến Lức", parent=H39),
        unit(PUSHED, "Sở Tư pháp", delivery_mode="push", endpoint=push_endpoint),
    ]
    rearrangement = [
        {"op": "close", "code": DISTRICT},
        {"op": "merge", "from": [H53, H39], "into": H53},
    ]
    return [
        {"effective": "2020-01-01T00:00:00+07:00", "reason": "baseline", "changes": baseline},
        {
            "effective": "2025-07-01T00:00:00+07:00",
            "reason": "Resolution 202/2025",
            "changes": rearrangement,
        },
    ]


def signed(data: bytes, pki: Path, code: str) -> bytes:
    return sign_packet(
        data, load_private_key(pki / f"{code}.key"), load_certificate(pki / f"{code}.pem")
    )


@dataclass(frozen=True)
class NodePlace:
    """Where a test's node runs: its database schema and server, its broker and topic prefix,
    its directory (the `node_place` fixture gives the suite's shared servers)."""

    engine: AsyncEngine
    postgres_url: str
    kafka_bootstrap: str
    topic_prefix: str
    directory: Path


@dataclass
class Running:
    """A node running all its workers, with the database and development PKI it was given."""

    node: Node
    engine: AsyncEngine
    pki: Path
    task: asyncio.Task[None]

    async def until(self, check: Callable[[], Awaitable[bool]], what: str) -> None:
        """`eventually`, failing at once with the node's error when the node stops."""

        async def alive() -> bool:
            if self.task.done():
                self.task.result()
                raise AssertionError(f"the node stopped while waiting for {what}")
            return await check()

        await eventually(alive, what=what)

    async def send(self, code: str, packet: bytes) -> tuple[bytes, SubmissionResult]:
        """`packet` signed with `code`'s key and submitted by a client of `code`."""
        data = signed(packet, self.pki, code)
        submit = self.node.submission.submit
        return data, await submit(data, caller_codes=frozenset({code}), caller=ACTOR)

    async def inbox(self, code: str, kind: RecordKind = RecordKind.DOCUMENT) -> list[InboxItem]:
        return await self.node.mailbox.list([code], kind=kind)

    async def landed(self, code: str, message_id: UUID) -> InboxItem:
        """Wait until `message_id` is in `code`'s inbox; its item."""

        async def there() -> bool:
            return any(item.message_id == message_id for item in await self.inbox(code))

        await self.until(there, f"message {message_id} in {code}'s inbox")
        (item,) = [item for item in await self.inbox(code) if item.message_id == message_id]
        return item

    async def deliveries(self, message_id: UUID) -> dict[str, DeliveryView]:
        async with self.node.sessions() as session:
            found = await TrackingStore().deliveries_of(session, message_id)
        return {view.recipient_code: view for view in found}

    async def reaches(self, message_id: UUID, recipient: str, phase: Phase) -> DeliveryView:
        """Wait until tracking shows the delivery in `phase`; the delivery."""

        async def reached() -> bool:
            view = (await self.deliveries(message_id)).get(recipient)
            return view is not None and view.phase is phase

        await self.until(reached, f"the delivery to {recipient} in phase {phase.value}")
        return (await self.deliveries(message_id))[recipient]

    async def timeline(self, message_id: UUID, recipient: str) -> list[TimelineEntry]:
        async with self.node.sessions() as session:
            return await TrackingStore().timeline(session, message_id, recipient)


@asynccontextmanager
async def running_node(
    place: NodePlace, *, push_endpoint: str, **settings: Any
) -> AsyncIterator[Running]:
    """A node at `place` with the registry versions and a development PKI for G22, H41 and
    H53, running every worker until the block ends."""
    engine, directory = place.engine, place.directory
    await upgrade(engine)
    sessions = session_factory(engine)
    registry = RegistryService(sessions)
    for change_set in registry_versions(push_endpoint):
        await registry.apply(parse_change_set(change_set), actor=ACTOR)
    pki = directory / "pki"
    await asyncio.to_thread(write_dev_pki, pki, [G22, H41, H53])
    async with sessions.begin() as session:
        await TrustRepository().import_directory(session, pki, actor=ACTOR, at=datetime.now(UTC))
    async with engine.connect() as connection:
        schema = await connection.scalar(text("SELECT current_schema()"))
    values: dict[str, Any] = {
        "database_url": place.postgres_url, "database_schema": schema,
        "kafka_bootstrap": place.kafka_bootstrap, "topic_prefix": place.topic_prefix,
        "data_dir": directory, "retry_delays": "1s,2s", "retry_horizon": "6s",
        "partitions": 2, "node_id": "test-node", **settings,
    }  # fmt: skip
    async with open_node(load_settings(**values)) as node:
        assert node.registry.version == 2
        stop = asyncio.Event()
        task = asyncio.create_task(node.run(list(WorkerRole), stop))
        try:
            yield Running(node, engine, pki, task)
        finally:
            stop.set()
            await task
