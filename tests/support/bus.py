"""Helpers for tests of the routing bus: a scripted push endpoint, records, waiting for state."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from envelopes.records import DeliveryRecord, InlinePacket, RecordCodec, RecordKind, sha256
from routing.bus import Outgoing, produce
from routing.delivery_worker import DeliveryContext
from routing.destinations import StaticDirectory
from routing.lifecycle import Phase
from routing.topics import TopicLayout
from routing.tracking import TrackingStore
from tests.support.postgres import free_port

DOCUMENT_ID = "000.00.00.G22,2025/07/01,12/QD-TTg"


def delivery(
    recipient: str,
    *,
    sender: str = "000.00.00.G22",
    message_id: uuid.UUID | None = None,
    body: bytes | None = None,
    kind: RecordKind = RecordKind.DOCUMENT,
) -> DeliveryRecord:
    data = body if body is not None else f"<edXML>{uuid.uuid4()}</edXML>".encode()
    return DeliveryRecord(
        message_id=message_id or uuid.uuid4(), kind=kind, sender_code=sender,
        recipient_code=recipient, document_id=DOCUMENT_ID, packet=InlinePacket(data),
        packet_sha256=sha256(data), submitted_at=datetime.now(UTC),
    )  # fmt: skip


@dataclass
class ScriptedEndpoint:
    """An HTTP endpoint on 127.0.0.1 that answers from a script: `fail_first` failures with
    `failure_status`, then 200; `down` makes it fail for good. Counts what it accepted."""

    fail_first: int = 0
    failure_status: int = 503
    down: bool = False
    calls: int = 0
    accepted: Counter[str] = field(default_factory=Counter)
    bodies: dict[str, bytes] = field(default_factory=dict)
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/edxml"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.calls += 1
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        failing = self.down or self.calls <= self.fail_first
        status = self.failure_status if failing else 200
        if not failing:
            message_id = headers.get("x-axis-message-id", "?")
            self.accepted[message_id] += 1
            self.bodies[message_id] = body
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"no" if failing else b"ok"})


class EndpointServer:
    """Runs a ScriptedEndpoint under uvicorn for the length of a test."""

    def __init__(self, endpoint: ScriptedEndpoint) -> None:
        config = uvicorn.Config(
            endpoint, host="127.0.0.1", port=endpoint.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> EndpointServer:
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.server.should_exit = True
        if self._task is not None:
            await self._task


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 60.0, what: str = "condition"
) -> None:
    """Wait until `check()` holds; fail with `what` after `timeout` seconds.

    A guard against hanging, not a performance assertion: the timeout is generous."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@dataclass
class Bus:
    layout: TopicLayout
    sessions: async_sessionmaker[AsyncSession]
    directory: StaticDirectory
    context: DeliveryContext
    producer: AIOKafkaProducer
    bootstrap: str
    codec: RecordCodec

    async def submit(self, *records: DeliveryRecord) -> None:
        await produce(
            self.producer,
            [
                Outgoing(self.layout.deliveries.name, r.recipient_code.encode(),
                         self.codec.encode(r))
                for r in records
            ],
        )  # fmt: skip

    async def phase(self, record: DeliveryRecord) -> Phase | None:
        async with self.sessions() as session:
            found = await TrackingStore().delivery(
                session, record.message_id, record.recipient_code
            )
        return found.phase if found else None
