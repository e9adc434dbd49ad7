"""Which database a bus belongs to: the binding log on the `<prefix>binding` topic.

The consumer groups of a bus are named from its topic prefix, so every node on one prefix shares
the deliveries. A node writing to another database (another data directory, a wrong
`AXIS_DATABASE_URL`) would take its share of them into that database, where nobody looks. The
binding log says which database the bus belongs to, so such a node can refuse to start.

The log is one partition kept forever; each record is a small JSON object:

- a *claim* (`kind: claim`): a node found the bus unbound and claims it for its database;
- a *rebind* (`kind: rebind`): an operator moves the bus from database `previous` to another.

The binding is what the log says in order (`current_binding`): the first claim binds an unbound
bus, so of two nodes starting at once on a new bus the one whose claim the broker wrote first
wins, and both read the same answer back; later claims lost that race and mean nothing. A rebind
moves the binding only when `previous` names the database bound at that point, so of two
operators rebinding at once only the first moves it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Literal

from aiokafka import AIOKafkaConsumer, TopicPartition

from routing.bus import make_producer

READ_SECONDS = 30.0
"""How long reading the log may take before the broker is taken as unreachable."""

Kind = Literal["claim", "rebind"]


class BindingLogError(Exception):
    """The binding log could not be read or written; the message says why."""


class NotABindingRecord(ValueError):
    """Bytes on the binding topic that are not a binding record (they bind nothing)."""


@dataclass(frozen=True, slots=True)
class BindingRecord:
    kind: Kind
    database_id: str
    """The database the record binds the bus to (its `database_identity`)."""
    database: str
    """That database's URL without its password, for people reading a refusal."""
    node: str
    at: datetime
    record_id: str
    previous: str | None = None
    """A rebind: the database it moves the bus from."""
    actor: str | None = None
    reason: str | None = None

    @classmethod
    def claim(cls, database_id: str, database: str, node: str) -> BindingRecord:
        return cls("claim", database_id, database, node, datetime.now(UTC), uuid.uuid4().hex)

    @classmethod
    def rebind(
        cls, database_id: str, database: str, node: str, *, previous: str, actor: str, reason: str
    ) -> BindingRecord:
        return cls(
            "rebind", database_id, database, node, datetime.now(UTC), uuid.uuid4().hex,
            previous=previous, actor=actor, reason=reason,
        )  # fmt: skip

    def to_bytes(self) -> bytes:
        fields = asdict(self)
        fields["at"] = self.at.isoformat()
        return json.dumps(fields, ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> BindingRecord:
        """The record in `data`; NotABindingRecord when it is not one."""
        try:
            fields = json.loads(data)
            kind = fields["kind"]
            if kind not in ("claim", "rebind"):
                raise NotABindingRecord(f"not a binding record: unknown kind {kind!r}")
            return cls(
                kind=kind, database_id=str(fields["database_id"]),
                database=str(fields["database"]), node=str(fields["node"]),
                at=datetime.fromisoformat(fields["at"]), record_id=str(fields["record_id"]),
                previous=fields.get("previous"), actor=fields.get("actor"),
                reason=fields.get("reason"),
            )  # fmt: skip
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            if isinstance(error, NotABindingRecord):
                raise
            raise NotABindingRecord(f"not a binding record: {error!r}") from error


@dataclass(frozen=True, slots=True)
class Binding:
    """The database a bus is bound to, and the record that bound it."""

    record: BindingRecord

    @property
    def database_id(self) -> str:
        return self.record.database_id

    def describe(self) -> str:
        """`ID (URL, bound by node N at T)`: where the binding came from."""
        record = self.record
        how = "bound" if record.kind == "claim" else f"rebound from {record.previous}"
        by = f" by {record.actor}" if record.actor else ""
        return (
            f"{record.database_id} ({record.database}; {how} by node {record.node}{by} "
            f"at {record.at.isoformat(timespec='seconds')})"
        )


def current_binding(records: Iterable[BindingRecord]) -> Binding | None:
    """What the log says, in order: the first claim binds; a rebind of the bound database moves
    it; anything else lost a race and is ignored."""
    bound: Binding | None = None
    for record in records:
        claims = record.kind == "claim" and bound is None
        moves = record.kind == "rebind" and bound and record.previous == bound.database_id
        if claims or moves:
            bound = Binding(record)
    return bound


@dataclass(frozen=True, slots=True)
class BindingLog:
    """The binding topic of one bus (created with the other topics: `routing.topics`)."""

    bootstrap: str
    topic: str

    async def read(self) -> list[BindingRecord]:
        """Every readable record, in order; none when the topic does not exist (yet)."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False,
            auto_offset_reset="earliest", client_id="axis-binding-reader",
        )  # fmt: skip
        try:
            async with asyncio.timeout(READ_SECONDS):
                await consumer.start()
                # Asked before assigning: assigning a missing topic could make a broker that
                # auto-creates topics create it with the wrong settings.
                if self.topic not in await consumer.topics():
                    return []
                return await self._read_all(consumer)
        except TimeoutError as error:
            raise BindingLogError(
                f"reading {self.topic} on {self.bootstrap} took over {READ_SECONDS:.0f} s"
            ) from error
        finally:
            await consumer.stop()

    async def _read_all(self, consumer: AIOKafkaConsumer) -> list[BindingRecord]:
        partition = TopicPartition(self.topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        records: list[BindingRecord] = []
        while await consumer.position(partition) < end:
            batch = await consumer.getmany(partition, timeout_ms=1000)
            for item in batch.get(partition, []):
                if item.offset >= end:
                    break
                try:
                    records.append(BindingRecord.from_bytes(item.value or b""))
                except NotABindingRecord:
                    continue  # not ours to interpret: it binds nothing
        return records

    async def append(self, record: BindingRecord) -> None:
        """Write `record`, acknowledged by every in-sync replica."""
        producer = make_producer(self.bootstrap, client_id="axis-binding-writer")
        await producer.start()
        try:
            await producer.send_and_wait(
                self.topic, record.to_bytes(), key=record.record_id.encode(), partition=0
            )
        finally:
            await producer.stop()
