"""`axis.client` against a node listening on loopback (real Kafka, PostgreSQL): the asyncio and
the blocking client, every role's calls, and refusals read into `AxisError`."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

import axis.client
from axis.client import AsyncAxisClient, AxisClient, AxisError, InboxItem, TrackingReport
from axis.wire import documents as wire_documents
from axis.wire import operations as wire_operations
from axis.wire import registry as wire_registry
from tests.axis.http.conftest import HttpNode
from tests.support.packets import document
from tests.support.postgres import free_port
from tests.support.running_node import DISTRICT, G22, H39, H41, H53, NEWCOMER, signed

pytestmark = pytest.mark.integration


def connect(node: HttpNode, name: str) -> AsyncAxisClient:
    return AsyncAxisClient(node.base_url, node.secrets[name])


async def _refusal(call: Any) -> AxisError:
    with pytest.raises(AxisError) as refused:
        await call
    return refused.value


async def test_a_dms_sends_receives_acknowledges_and_tracks_with_the_async_client(
    served: HttpNode,
) -> None:
    data = signed(document(G22, [H41, H39], 11), served.running.pki, G22)
    async with connect(served, "g22") as g22, connect(served, "h53") as h53:
        sent = await g22.send(data)
        outcomes = {r.addressed: (r.outcome, r.target) for r in sent.recipients}
        assert outcomes == {H41: ("routed", H41), H39: ("redirected", H53)}
        assert (sent.rejected, sent.duplicate) == ([], False)
        again = await g22.send(data)
        assert (again.message_id, again.duplicate) == (sent.message_id, True)

        async def documents(pending: bool = False) -> list[InboxItem]:
            return [i async for i in h53.iter_inbox(kind="edoc", pending=pending)]

        async def landed() -> bool:
            return [i.message_id for i in await documents()] == [sent.message_id]

        await served.running.until(landed, "the document in H53's inbox")
        (item,) = await documents(pending=True)
        assert (item.sender, item.recipient, item.addressed_to) == (G22, H53, H39)
        assert await h53.fetch(sent.message_id) == data
        assert (await h53.ack(sent.message_id, "processing")).changed
        done = await h53.ack(sent.message_id, "done", detail="registered as 12/VP")
        assert (done.changed, done.item.ack) == (True, "done")
        assert not (await h53.ack(sent.message_id, "done")).changed
        conflict = await _refusal(h53.ack(sent.message_id, "fail"))
        assert (conflict.status, conflict.code) == (409, "INBOX_ACK_CONFLICT")
        assert await documents(pending=True) == []

        async def acknowledged() -> bool:
            (report,) = await g22.tracking(sent.message_id)
            return {r.recipient: r.phase for r in report.recipients}.get(H53) == "acknowledged"

        await served.running.until(acknowledged, "H53's delivery acknowledged in tracking")
        (own,) = await h53.tracking(sent.message_id)
        assert [r.recipient for r in own.recipients] == [H53]
        assert own.recipients[0].timeline, "the recipient sees its own timeline"
        latest = (await g22.sent(limit=1))[0]
        assert latest.message_id == sent.message_id
        assert {r.recipient for r in latest.recipients} == {H41, H53}
        by_document = await g22.tracking(sent.document_id)
        assert [r.message_id for r in by_document] == [sent.message_id]


async def test_the_blocking_client_pages_the_inbox_and_acknowledges(served: HttpNode) -> None:
    packets = [signed(document(G22, [H41], n), served.running.pki, G22) for n in (21, 22)]
    url, secrets = served.base_url, served.secrets

    def dms() -> tuple[list[str], list[InboxItem], list[InboxItem], list[TrackingReport]]:
        with AxisClient(url, secrets["g22"]) as g22, AxisClient(url, secrets["h41"]) as h41:
            ids = [g22.send(p).message_id for p in packets]
            deadline = time.monotonic() + 60
            while True:
                items = list(h41.iter_inbox(kind="edoc", page_size=1))  # a page per item
                if [i.message_id for i in items] == ids or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            for item in items:
                assert h41.fetch(item.message_id) == packets[ids.index(item.message_id)]
                h41.ack(item.message_id, "done")
            return ids, items, h41.inbox(kind="edoc", pending=True).items, g22.tracking(ids[0])

    ids, items, pending, reports = await asyncio.to_thread(dms)
    assert [i.message_id for i in items] == ids
    assert pending == []
    assert [r.recipient for r in reports[0].recipients] == [H41]


async def test_the_registry_is_read_by_any_client_and_changed_by_the_authority(
    served: HttpNode,
) -> None:
    async with connect(served, "h41") as h41, connect(served, "authority") as authority:
        page = await h41.registry_units(q="Nghệ An")
        assert [u.code for u in page.units] == [H41]
        closed = await h41.registry_units(status="closed")
        assert {DISTRICT, H39} <= {u.code for u in closed.units}
        detail = await h41.registry_unit(H39)
        assert detail.unit is not None and detail.unit.status == "closed"
        assert (detail.resolve.outcome, detail.resolve.target) == ("redirected", H53)
        assert [v.version for v in await h41.registry_changes()] == [1, 2]
        assert [v.version for v in await h41.registry_changes(since=1)] == [2]
        unknown = await _refusal(h41.registry_unit("999.99.99.Z99"))
        assert (unknown.status, unknown.code) == (404, "REGISTRY_UNKNOWN_CODE")
        snapshot = await _refusal(h41.registry_snapshot())
        assert snapshot.code == "REGISTRY_SNAPSHOT_UNAVAILABLE"

        change_set = {
            "effective": "2025-08-01T00:00:00+07:00",
            "reason": "a new unit",
            "changes": [{"op": "create", "unit": {"code": NEWCOMER, "name": "Sở mới", "level": 1}}],
        }
        refused = await _refusal(h41.submit_change_set(change_set))
        assert (refused.status, refused.code) == (403, "ROLE_REQUIRED")
        applied = await authority.submit_change_set(change_set)
        assert applied.version == 3
        assert (await h41.registry_unit(NEWCOMER)).unit is not None


async def test_an_operator_manages_clients_destinations_and_dead_letters(
    served: HttpNode,
) -> None:
    async with connect(served, "operator") as operator:
        listed = {c.client_id for c in await operator.clients()}
        assert {"g22", "h41", "h53", "clerk-g22", "operator", "authority"} <= listed
        issued = await operator.add_client(
            "H41's second DMS", roles=["agency"], codes=[H41], client_id="h41-two"
        )
        assert (issued.client.codes, issued.client.roles) == ([H41], ["agency"])
        async with AsyncAxisClient(served.base_url, issued.secret) as two:
            assert (await two.inbox()).items == []
        exists = await _refusal(operator.add_client("again", roles=["agency"], codes=[H41],
                                                    client_id="h41-two"))  # fmt: skip
        assert (exists.status, exists.code) == (409, "CLIENT_EXISTS")
        rotated = await operator.rotate_client("h41-two")
        async with AsyncAxisClient(served.base_url, issued.secret) as old:
            assert (await _refusal(old.inbox())).code == "AUTH_INVALID"
        of_long_an = await operator.add_client("Long An's DMS", roles=["agency"], codes=[H39])
        moved = await operator.rebind_client(of_long_an.client.client_id, H39, H53)
        assert moved.codes == [H53]  # H39 merged into H53 in version 2
        wrong = await _refusal(operator.rebind_client("h41-two", H41, H53))
        assert (wrong.status, wrong.code) == (422, "CLIENT_REBIND_NOT_SUCCESSOR")
        disabled = await operator.disable_client("h41-two")
        assert disabled.disabled_at is not None
        async with AsyncAxisClient(served.base_url, rotated.secret) as gone:
            assert (await _refusal(gone.inbox())).status == 401

        assert (await operator.pause(H53, "DMS migration")).changed
        assert not (await operator.pause(H53, "again")).changed
        assert [(p.code, p.reason) for p in await operator.paused()] == [(H53, "DMS migration")]
        assert (await operator.resume(H53)).changed
        assert await operator.paused() == []

        assert await operator.dead_letters() == []
        missing = await _refusal(operator.dead_letter(42))
        assert (missing.status, missing.code) == (404, "DEAD_LETTER_NOT_FOUND")
        nothing = await _refusal(operator.replay())
        assert nothing.code == "REPLAY_SELECTION_MISSING"

        actions = [(e.actor, e.action, e.target) for e in await operator.audit(limit=20)]
        for action in ("clients.add", "clients.rotate", "clients.disable"):
            assert ("client:operator", action, "h41-two") in actions
        assert ("client:operator", "destinations.pause", H53) in actions


async def test_refusals_are_read_into_axis_errors(served: HttpNode) -> None:
    async with connect(served, "g22") as g22:
        wrong_role = await _refusal(g22.clients())
        assert (wrong_role.status, wrong_role.code) == (403, "ROLE_REQUIRED")
        assert "operator" in wrong_role.message
        not_theirs = await _refusal(g22.inbox(code=H41))
        assert (not_theirs.status, not_theirs.code) == (403, "CODE_NOT_ALLOWED")
        invalid = await _refusal(g22.inbox(limit=0))
        assert (invalid.status, invalid.code) == (422, "REQUEST_INVALID")
        assert invalid.problems and invalid.problems[0]["where"] == "query.limit"
        empty = await _refusal(g22.send(b""))
        assert (empty.status, empty.code) == (400, "PACKET_EMPTY")
    async with AsyncAxisClient(served.base_url, "axk_not-a-secret-of-anyone") as stranger:
        bad_secret = await _refusal(stranger.inbox())
        assert (bad_secret.status, bad_secret.code) == (401, "AUTH_INVALID")

    def blocking_refusal() -> AxisError:
        with (
            AxisClient(served.base_url, served.secrets["h41"]) as h41,
            pytest.raises(AxisError) as refused,
        ):
            h41.dead_letters()
        return refused.value

    assert (await asyncio.to_thread(blocking_refusal)).code == "ROLE_REQUIRED"


async def test_an_unreachable_node_is_named_with_its_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with AsyncAxisClient(url, "axk_whatever-secret") as axis_client:
        refused = await _refusal(axis_client.inbox())
    assert (refused.status, refused.code) == (None, "NODE_UNREACHABLE")
    assert url in refused.message


def test_an_answer_that_is_not_the_nodes_json_gets_its_http_status() -> None:
    def proxy(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/inbox":
            return httpx.Response(200, json={"unexpected": True})
        return httpx.Response(502, text="<html><body>Bad Gateway</body></html>")

    with AxisClient("http://axis.test", "s", transport=httpx.MockTransport(proxy)) as client:
        with pytest.raises(AxisError) as gateway:
            client.clients()
        with pytest.raises(AxisError) as odd:
            client.inbox()
    assert (gateway.value.status, gateway.value.code) == (502, "HTTP_502")
    assert "Bad Gateway" in gateway.value.message
    assert odd.value.code == "RESPONSE_INVALID"


@pytest.mark.parametrize(
    ("mine", "theirs"),
    [
        (axis.client.SendResult, wire_documents.SubmitReply),
        (axis.client.RecipientOutcome, wire_documents.RecipientOutcomeModel),
        (axis.client.InboxItem, wire_documents.InboxEntry),
        (axis.client.InboxPage, wire_documents.InboxPage),
        (axis.client.AckResult, wire_documents.AckReply),
        (axis.client.SentMessage, wire_documents.SentEntry),
        (axis.client.TrackingReport, wire_documents.TrackingReport),
        (axis.client.TrackedRecipient, wire_documents.TrackedRecipient),
        (axis.client.TimelineStep, wire_documents.TimelineStep),
        (axis.client.Finding, wire_documents.FindingModel),
        (axis.client.Unit, wire_registry.Unit),
        (axis.client.UnitPage, wire_registry.UnitPage),
        (axis.client.UnitDetail, wire_registry.UnitDetail),
        (axis.client.Resolution, wire_registry.Resolved),
        (axis.client.RegistryVersion, wire_registry.VersionEntry),
        (axis.client.AppliedChangeSet, wire_registry.Applied),
        (axis.client.DeadLetter, wire_operations.DeadLetterModel),
        (axis.client.ReplayedLetter, wire_operations.ReplayedModel),
        (axis.client.PausedDestination, wire_operations.PauseModel),
        (axis.client.DestinationChange, wire_operations.Changed),
        (axis.client.ClientInfo, wire_operations.ClientModel),
        (axis.client.IssuedClient, wire_operations.IssuedModel),
        (axis.client.AuditEntry, wire_operations.AuditModel),
    ],
)
def test_the_client_reads_the_nodes_own_answers(
    mine: type[BaseModel], theirs: type[BaseModel]
) -> None:
    """One set of wire models (`axis.wire`): the client's names are the node's response models."""
    assert mine is theirs


def test_the_wire_models_load_nothing_of_the_node() -> None:
    code = (
        "import sys, axis.client, axis.wire.documents, axis.wire.registry, "
        "axis.wire.operations\n"
        "heavy = {'fastapi', 'starlette', 'sqlalchemy', 'aiokafka', 'alembic', 'uvicorn'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def _docstring_example() -> str:
    doc = axis.client.__doc__ or ""
    block = re.search(r"::\n\n((?:    .*\n|\n)+)", doc)
    assert block, "the module docstring has its example"
    return textwrap.dedent(block.group(1))


async def test_the_example_in_the_module_docstring_runs(served: HttpNode, tmp_path: Path) -> None:
    """The documented DMS pass, as a user would run it: sends, takes its inbox, acknowledges."""
    async with connect(served, "h41") as h41, connect(served, "g22") as g22:
        incoming = await h41.send(signed(document(H41, [G22], 31), served.running.pki, H41))

        async def landed() -> bool:
            return any(i.message_id == incoming.message_id for i in (await g22.inbox()).items)

        await served.running.until(landed, "H41's document in G22's inbox")
        packet = tmp_path / "outgoing.xml"
        packet.write_bytes(signed(document(G22, [H41], 32), served.running.pki, G22))
        inbox_dir = tmp_path / "received"
        inbox_dir.mkdir()
        env = {**os.environ, "AXIS_URL": served.base_url, "AXIS_SECRET": served.secrets["g22"]}

        def run() -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-c", _docstring_example(), str(packet), str(inbox_dir)]
            return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                                  check=False)  # fmt: skip

        ran = await asyncio.to_thread(run)
        assert ran.returncode == 0, ran.stderr
        assert f"{H41} routed {H41}" in ran.stdout
        assert f"received {incoming.document_id} from {H41}" in ran.stdout
        assert (inbox_dir / f"{incoming.message_id}.xml").is_file()
        assert (await g22.inbox(kind="edoc", pending=True)).items == []
