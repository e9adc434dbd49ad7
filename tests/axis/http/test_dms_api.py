"""The document management systems' API over HTTP, on a running node (real Kafka, PostgreSQL)."""

from __future__ import annotations

import dataclasses
import os
import uuid

import pytest

from axis.http.bodies import SPOOL_FROM_BYTES
from envelopes.attachments import Attachment, AttachmentContent
from envelopes.codes import StatusCode
from envelopes.model import DocumentPacket
from envelopes.parsing import parse_packet
from envelopes.writing import to_bytes
from tests.axis.http.conftest import HttpNode
from tests.support.packets import document, status
from tests.support.running_node import G22, H39, H41, H53, signed

pytestmark = pytest.mark.integration


async def test_a_document_sent_over_http_is_fetched_acknowledged_and_tracked(
    http_node: HttpNode,
) -> None:
    data = signed(document(G22, [H41, H39], 1), http_node.running.pki, G22)
    async with http_node.client("g22") as g22, http_node.client("h53") as h53:
        sent = await g22.post("/v1/packets", content=data,
                              headers={"Content-Type": "application/xml"})  # fmt: skip
        assert sent.status_code == 202, sent.text
        reply = sent.json()
        outcomes = {r["addressed"]: r for r in reply["recipients"]}
        assert outcomes[H41]["outcome"] == "routed"
        assert (outcomes[H39]["outcome"], outcomes[H39]["target"]) == ("redirected", H53)
        message_id = reply["message_id"]

        async def landed() -> bool:
            page = (await h53.get("/v1/inbox", params={"kind": "edoc"})).json()
            return any(i["message_id"] == message_id for i in page["items"])

        await http_node.running.until(landed, "the document in H53's inbox")
        fetched = await h53.get(f"/v1/packets/{message_id}")
        assert fetched.status_code == 200
        assert fetched.content == data
        ack = await h53.post(f"/v1/inbox/{message_id}/ack", json={"ack": "done"})
        assert ack.status_code == 200, ack.text
        assert ack.json()["item"]["ack"] == "done"
        conflict = await h53.post(f"/v1/inbox/{message_id}/ack", json={"ack": "fail"})
        assert (conflict.status_code, conflict.json()["error"]["code"]) == (
            409, "INBOX_ACK_CONFLICT",
        )  # fmt: skip

        async def acknowledged() -> bool:
            reports = (await g22.get(f"/v1/tracking/{message_id}")).json()
            phases = {r["recipient"]: r["phase"] for r in reports[0]["recipients"]}
            return phases.get(H53) == "acknowledged"

        await http_node.running.until(acknowledged, "H53's delivery acknowledged in tracking")
        own = (await h53.get(f"/v1/tracking/{message_id}")).json()
        assert [r["recipient"] for r in own[0]["recipients"]] == [H53]
        sent_items = (await g22.get("/v1/sent")).json()
        assert sent_items[0]["message_id"] == message_id
        assert {r["recipient"] for r in sent_items[0]["recipients"]} == {H41, H53}


async def test_sending_as_another_agency_is_refused_with_its_code(http_node: HttpNode) -> None:
    data = signed(document(G22, [H41], 2), http_node.running.pki, G22)
    async with http_node.client("h41") as h41:
        refused = await h41.post("/v1/packets", content=data)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "SUBMIT_SENDER_NOT_ALLOWED"


async def test_a_malformed_packet_gets_its_code_and_sentence(http_node: HttpNode) -> None:
    async with http_node.client("g22") as g22:
        refused = await g22.post("/v1/packets", content=b"<not-edxml/>")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] and error["message"]


async def test_another_agencys_message_and_an_unknown_one_get_the_same_answer(
    http_node: HttpNode,
) -> None:
    """No oracle: whether an id or DocumentId exists is not told to who may not see it."""
    data = signed(document(G22, [H41], 30), http_node.running.pki, G22)
    async with http_node.client("g22") as g22, http_node.client("h53") as h53:
        sent = (await g22.post("/v1/packets", content=data)).json()
        message_id, document_id = sent["message_id"], sent["document_id"]
        unknown_id, unknown_document = str(uuid.uuid4()), document_id.replace(",", ",9", 1)
        pairs = [
            (f"/v1/tracking/{message_id}", f"/v1/tracking/{unknown_id}"),
            (f"/v1/tracking/{document_id}", f"/v1/tracking/{unknown_document}"),
            (f"/v1/packets/{message_id}", f"/v1/packets/{unknown_id}"),
        ]
        for existing, missing in pairs:
            theirs, nothing = await h53.get(existing), await h53.get(missing)
            assert theirs.status_code == nothing.status_code == 404
            assert theirs.json()["error"]["code"] == nothing.json()["error"]["code"]
        acks = [
            await h53.post(f"/v1/inbox/{key}/ack", json={"ack": "done"})
            for key in (message_id, unknown_id)
        ]
        assert [a.status_code for a in acks] == [404, 404]
        assert acks[0].json()["error"]["code"] == acks[1].json()["error"]["code"]


async def test_a_forged_status_over_http_is_refused_and_grants_no_sight_of_the_document(
    http_node: HttpNode,
) -> None:
    """H53 answers a document G22 sent to H41 only: refused; tracking stays closed to H53."""
    data = signed(document(G22, [H41], 31), http_node.running.pki, G22)
    forged = signed(status(H53, G22, 31, StatusCode.FINISHED), http_node.running.pki, H53)
    async with http_node.client("g22") as g22, http_node.client("h53") as h53:
        sent = (await g22.post("/v1/packets", content=data)).json()
        refused = await h53.post("/v1/packets", content=forged)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "STATUS_NOT_A_RECIPIENT"
        for key in (sent["message_id"], sent["document_id"]):
            assert (await h53.get(f"/v1/tracking/{key}")).status_code == 404
        report = (await g22.get(f"/v1/tracking/{sent['message_id']}")).json()
        assert [r["recipient"] for r in report[0]["recipients"]] == [H41]


async def test_a_large_packet_is_spooled_verified_routed_and_streamed_back_unchanged(
    http_node: HttpNode,
) -> None:
    """Above `axis.http.bodies.SPOOL_FROM_BYTES` the body is spooled and verified from its
    spool (`signing.streamed_content`); above one payload chunk the fetch is streamed."""
    base = parse_packet(document(G22, [H41], 60))
    assert isinstance(base, DocumentPacket)
    attachment = Attachment(
        content_id="cid:1", name="ho-so.bin",
        content=AttachmentContent.from_bytes(os.urandom(3 * 1024 * 1024)),
    )  # fmt: skip
    packet = dataclasses.replace(base, manifest=(attachment.reference,), attachments=(attachment,))
    data = signed(to_bytes(packet), http_node.running.pki, G22)
    assert len(data) > SPOOL_FROM_BYTES
    start = data.index(b"ContentTransferEncoded>") + 500_000
    changed = data[:start] + (b"A" if data[start : start + 1] != b"A" else b"B") + data[start + 1 :]
    async with http_node.client("g22") as g22, http_node.client("h41") as h41:
        refused = await g22.post("/v1/packets", content=changed)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "SIGNATURE_DIGEST_MISMATCH"
        sent = await g22.post("/v1/packets", content=data)
        assert sent.status_code == 202, sent.text
        message_id = sent.json()["message_id"]

        async def landed() -> bool:
            page = (await h41.get("/v1/inbox", params={"kind": "edoc"})).json()
            return any(i["message_id"] == message_id for i in page["items"])

        await http_node.running.until(landed, "the large document in H41's inbox")
        fetched = await h41.get(f"/v1/packets/{message_id}")
        assert fetched.status_code == 200
        assert fetched.headers["content-length"] == str(len(data))
        assert fetched.content == data
        again = await g22.post("/v1/packets", content=data)  # the same signed content
        assert (again.status_code, again.json()["message_id"]) == (202, message_id)
