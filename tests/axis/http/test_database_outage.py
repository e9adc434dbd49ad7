"""A PostgreSQL outage costs no more than its own length (issue 14, finding 10): while the
database is down, requests answer at once 503 DATABASE_UNAVAILABLE with Retry-After (the SDK
operations a FAIL reply with ErrorCode 503) and /readyz says not ready; once it is back, the
node serves again and its workers land what waited, without a restart.

The test stops and starts a PostgreSQL server of its own (never the shared one)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import httpx
import pytest

from axis.http.app import create_app
from axis.http.context import AppContext
from axis.http.server import http_server
from axis.store.credentials import Role
from axis.store.db import make_engine
from envelopes.records import RecordCodec
from routing.bus import Outgoing, make_producer, produce, transactional_id
from routing.lifecycle import Phase
from tests.axis.http.conftest import CLIENTS, HttpNode
from tests.support import postgres
from tests.support.bus import delivery
from tests.support.packets import document
from tests.support.postgres import free_port
from tests.support.running_node import G22, H41, NodePlace, running_node, signed
from tests.support.vxp_sdk import KnobstickService, VnptProperties, WireReply, send

pytestmark = pytest.mark.integration

ANSWER_SECONDS = 10.0
"""A generous bound on one answer while the database is down (asyncpg alone waits 60 s)."""
SDK_SECRET = "vxp.h41/a+secret+of+the+outage+test=="


@pytest.fixture
async def node(
    own_postgres: postgres.TestPostgres, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> AsyncIterator[HttpNode]:
    """A node with its workers on `own_postgres`, its app served on a loopback port."""
    engine = make_engine(own_postgres.url)
    try:
        place = NodePlace(engine, own_postgres.url, kafka_bootstrap, topic_prefix, tmp_path)
        async with running_node(place, push_endpoint="http://127.0.0.1:9/") as running:
            context = AppContext(running.node)
            node = HttpNode(running, create_app(context), context)
            for name, (codes, roles) in CLIENTS.items():
                await node.add_client(name, codes, roles)
            await node.add_client("vxp.h41", [H41], [Role.AGENCY], hmac=True, secret=SDK_SECRET)
            port = free_port()
            settings = context.settings.model_copy(update={"listen": f"127.0.0.1:{port}"})
            server = http_server(node.app, settings)
            task = asyncio.create_task(server.serve())
            while not server.started:
                assert not task.done(), "the HTTP server did not start"
                await asyncio.sleep(0.02)
            node.base_url = f"http://127.0.0.1:{port}"
            try:
                yield node
            finally:
                server.should_exit = True
                await task
    finally:
        await engine.dispose()


async def _timed(call: Awaitable[Any]) -> Any:
    started = asyncio.get_running_loop().time()
    answer = await call
    assert asyncio.get_running_loop().time() - started < ANSWER_SECONDS
    return answer


def _unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
    assert int(response.headers["Retry-After"]) > 0


async def _sdk_inbox(node: HttpNode) -> WireReply:
    properties = VnptProperties(node.base_url + node.context.settings.compat_prefix, "vxp.h41",
                                SDK_SECRET)  # fmt: skip
    request = KnobstickService(properties).get_received_edoc_list_request(
        {"servicetype": "eDoc", "messagetype": "edoc"}
    )
    return await asyncio.to_thread(send, request, properties.endpoint)


async def test_an_outage_answers_503_at_once_and_the_node_serves_again_after_it(
    node: HttpNode, own_postgres: postgres.TestPostgres, kafka_bootstrap: str
) -> None:
    packet = signed(document(G22, [H41], 1), node.running.pki, G22)
    async with node.client("h41") as h41, node.client("g22") as g22:
        assert (await h41.get("/v1/inbox")).status_code == 200
        assert (await h41.get("/readyz")).status_code == 200

        await asyncio.to_thread(own_postgres.stop)
        waiting = delivery(H41)  # reaches the delivery worker while the database is down
        layout = node.running.node.layout
        producer = make_producer(
            kafka_bootstrap,
            client_id="outage-test",
            transactional_id=transactional_id(layout.prefix, "test", "outage"),
        )
        await producer.start()
        try:
            record = RecordCodec().encode(waiting)
            await produce(producer, [Outgoing(layout.deliveries.name, H41.encode(), record)])
        finally:
            await producer.stop()

        for _ in range(3):  # every request, not only the first
            _unavailable(await _timed(h41.get("/v1/inbox")))
            _unavailable(await _timed(g22.post("/v1/packets", content=packet)))
        ready = await _timed(h41.get("/readyz"))
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"]["ok"] is False
        reply = await _timed(_sdk_inbox(node))
        assert reply.status == 200  # the SDK reads the JSON, never the HTTP status
        fields = reply.json()
        assert (fields["status"], fields["ErrorCode"]) == ("FAIL", "503"), fields
        assert fields["ErrorDesc"].startswith("DATABASE_UNAVAILABLE: ")
        assert reply.header("Retry-After") is not None

        await asyncio.to_thread(own_postgres.start)

        async def serving() -> bool:
            return (await h41.get("/v1/inbox")).status_code == 200

        await node.running.until(serving, "the node to serve again after the database returned")
        assert (await g22.post("/v1/packets", content=packet)).status_code == 202
        assert (await h41.get("/readyz")).status_code == 200
        fields = (await _sdk_inbox(node)).json()
        assert (fields["status"], fields["ErrorCode"]) == ("OK", "0"), fields

        # A restart between two requests: the pooled connections it closed are replaced on
        # checkout, without a ping per checkout and without failing a request.
        await asyncio.to_thread(own_postgres.restart)
        assert (await h41.get("/v1/inbox")).status_code == 200
        assert (await g22.post("/v1/packets", content=packet)).status_code == 202

    # The delivery worker retried the batch that met the outage, and the tracker followed.
    await node.running.landed(H41, waiting.message_id)
    await node.running.reaches(waiting.message_id, H41, Phase.DELIVERED)
