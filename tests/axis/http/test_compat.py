"""The national SDK's operations on a running node, driven by the SDK emulator over real HTTP
(uvicorn on a loopback port; real Kafka and PostgreSQL behind the node)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from axis.http.app import create_app
from axis.http.context import AppContext
from axis.http.server import http_server
from axis.http.throttle import AuthThrottle
from axis.store.credentials import Role
from envelopes.codes import StatusCode
from tests.axis.http.conftest import HttpNode
from tests.support.packets import document, status
from tests.support.postgres import free_port
from tests.support.running_node import DISTRICT, G22, H39, H41, H53, H99, signed
from tests.support.vxp_sdk import (
    AgencyService,
    KnobstickService,
    VnptProperties,
    WireReply,
    WireRequest,
    send,
)

pytestmark = pytest.mark.integration

SDK_CLIENTS: dict[str, tuple[list[str], list[Role]]] = {
    "vxp.g22": ([G22], [Role.AGENCY]),
    "vxp.h41": ([H41], [Role.AGENCY]),
    "vxp.h53": ([H53], [Role.AGENCY]),
    "vxp.gov": ([], [Role.REGISTRY_AUTHORITY]),
}
"""HMAC clients: the SDK's systemId is the client id."""
LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
EDOC = {"servicetype": "eDoc", "messagetype": "edoc"}


def secret_of(name: str) -> str:
    return f"{name}/used+as+raw+UTF8+bytes=="


@dataclass
class Sdk:
    """One configured SDK: a document service and an agency service, as a DMS holds them."""

    endpoint: str
    docs: KnobstickService
    agencies: AgencyService

    async def call(self, request: WireRequest) -> WireReply:
        return await asyncio.to_thread(send, request, self.endpoint)

    async def json(self, request: WireRequest) -> dict[str, Any]:
        return answer(await self.call(request))


def answer(reply: WireReply) -> dict[str, Any]:
    """The reply as the SDK needs it: HTTP 200, ASCII-only JSON with the three fields."""
    assert reply.status == 200
    assert all(byte < 0x80 for byte in reply.body), reply.body
    fields = reply.json()
    for name in ("status", "ErrorCode", "ErrorDesc"):
        assert isinstance(fields[name], str), fields
    return fields


def ok(fields: dict[str, Any]) -> dict[str, Any]:
    assert (fields["status"], fields["ErrorCode"]) == ("OK", "0"), fields
    return fields


def failed(fields: dict[str, Any], code: str, machine_code: str = "") -> str:
    assert (fields["status"], fields["ErrorCode"]) == ("FAIL", code), fields
    assert fields["ErrorDesc"].startswith(machine_code), fields
    assert "data" not in fields
    assert "count" not in fields
    return str(fields["ErrorDesc"])


def make_sdk(endpoint: str, name: str, secret: str | None = None) -> Sdk:
    properties = VnptProperties(endpoint, name, secret or secret_of(name))
    return Sdk(endpoint, KnobstickService(properties), AgencyService(properties))


@pytest.fixture
async def vxp(served: HttpNode) -> Callable[..., Sdk]:
    """`vxp(name, secret=None, endpoint=None)`: an SDK configured as one of `SDK_CLIENTS`."""
    for name, (codes, roles) in SDK_CLIENTS.items():
        await served.add_client(name, codes, roles, hmac=True, secret=secret_of(name))
    base = served.base_url + served.context.settings.compat_prefix

    def configured(name: str, secret: str | None = None, endpoint: str | None = None) -> Sdk:
        return make_sdk(endpoint or base, name, secret)

    return configured


async def listed(sdk: Sdk, doc_id: str, params: dict[str, str] = EDOC) -> dict[str, Any] | None:
    items = ok(await sdk.json(sdk.docs.get_received_edoc_list_request(params)))["data"]
    found = [item for item in items if item["docId"] == doc_id]
    return found[0] if found else None


async def until_listed(served: HttpNode, sdk: Sdk, doc_id: str) -> dict[str, Any]:
    async def there() -> bool:
        return await listed(sdk, doc_id) is not None

    await served.running.until(there, f"{doc_id} in getReceivedEdocList")
    item = await listed(sdk, doc_id)
    assert item is not None
    return item


async def test_the_sdk_sends_lists_fetches_acknowledges_and_tracks_a_document(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    g22, h41 = vxp("vxp.g22"), vxp("vxp.h41")
    data = signed(document(G22, [H41], 1), served.running.pki, G22)
    params = {"from": G22, "to": H41, **EDOC}
    sent = ok(await g22.json(g22.docs.send_edoc_request(params, data)))
    doc_id = sent["DocId"]
    assert str(uuid.UUID(doc_id)) == doc_id

    item = await until_listed(served, h41, doc_id)
    assert {k: item[k] for k in ("serviceType", "messageType", "from", "to", "status")} == {
        "serviceType": "eDoc",
        "messageType": "edoc",
        "from": G22,
        "to": H41,
        "status": "pending",
    }
    assert item["status_desc"]
    assert LOCAL_TIME.match(item["created_time"])
    assert LOCAL_TIME.match(item["updated_time"])
    assert ok(await h41.json(h41.docs.count_receive_edoc_request(EDOC)))["count"] == 1
    assert ok(await h41.json(h41.docs.count_receive_status_request({})))["count"] == 0

    reply = await h41.call(h41.docs.get_edoc_request({"docid": doc_id, "filePath": "/tmp/x"}))
    assert reply.continued, "Expect: 100-continue must be answered with 100 Continue"
    assert base64.b64decode(ok(answer(reply))["data"]) == data
    assert (await listed(h41, doc_id) or {})["status"] == "processing"
    downloaded = await h41.call(h41.docs.download_edoc_request({"docId": doc_id}))
    assert (downloaded.status, downloaded.body) == (200, data)

    done = h41.docs.update_status_request({"docId": doc_id, "status": "done"})
    reply = await h41.call(done)
    assert reply.continued
    ok(answer(reply))
    ok(await h41.json(h41.docs.update_status_request({"docId": doc_id, "status": "done"})))
    conflict = await h41.json(h41.docs.update_status_request({"docId": doc_id, "status": "fail"}))
    failed(conflict, "409", "INBOX_ACK_CONFLICT: ")
    assert ok(await h41.json(h41.docs.count_receive_edoc_request(EDOC)))["count"] == 0
    assert await listed(h41, doc_id) is None

    async def answered() -> bool:
        request = g22.docs.get_sent_edoc_list_request({**EDOC, "docId": doc_id})
        items = ok(await g22.json(request))["data"]
        return [i["receiveStatus"] for i in items] == ["done"]

    await served.running.until(answered, "the recipient's done in getSentEdocList")
    (status,) = ok(await g22.json(g22.docs.get_sent_edoc_list_request({"docId": doc_id})))["data"]
    assert {k: status[k] for k in ("senderDocId", "receiverDocId", "fromCode", "toCode")} == {
        "senderDocId": doc_id,
        "receiverDocId": doc_id,
        "fromCode": G22,
        "toCode": H41,
    }
    assert (status["serviceType"], status["messageType"], status["sendStatus"]) == (
        "eDoc",
        "edoc",
        "sent",
    )
    assert status["title"] == "Báo cáo tình hình gửi nhận văn bản"
    assert status["notation"]
    assert LOCAL_TIME.match(status["sentTime"])
    assert LOCAL_TIME.match(status["receivedTime"])
    assert all(isinstance(v, str | int | bool) for v in status.values())
    everything = ok(await g22.json(g22.docs.get_sent_edoc_list_request(EDOC)))["data"]
    assert doc_id in {i["senderDocId"] for i in everything}


async def test_without_to_the_packets_own_recipients_route_it(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    g22, h53 = vxp("vxp.g22"), vxp("vxp.h53")
    data = signed(document(G22, [H41, H39], 2), served.running.pki, G22)
    sent = ok(await g22.json(g22.docs.send_edoc_request({"from": G22, **EDOC}, data)))
    item = await until_listed(served, h53, sent["DocId"])  # H39 is merged into H53
    assert (item["from"], item["to"]) == (G22, H53)
    again = ok(await g22.json(g22.docs.send_edoc_request({"from": G22, **EDOC}, data)))
    assert again["DocId"] == sent["DocId"], "a re-sent packet gets the same document id"


async def test_a_to_header_must_name_only_codes_the_packet_carries(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    g22 = vxp("vxp.g22")
    data = signed(document(G22, [H41, H39], 3), served.running.pki, G22)
    to_both = {"to": [{"organId": H41}, H39], **EDOC}
    ok(await g22.json(g22.docs.send_edoc_request(to_both, data)))

    other = signed(document(G22, [H41], 4), served.running.pki, G22)
    refused = await g22.json(g22.docs.send_edoc_request({"to": [H41, H53], **EDOC}, other))
    message = failed(refused, "400", "SEND_TO_MISMATCH: ")
    assert H53 in message
    assert refused["DocId"] == ""
    assert ok(await g22.json(g22.docs.get_sent_edoc_list_request({})))["data"]


async def test_a_packet_is_refused_with_the_nodes_code_and_an_empty_doc_id(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    h41 = vxp("vxp.h41")
    data = signed(document(G22, [H53], 5), served.running.pki, G22)
    refused = await h41.json(h41.docs.send_edoc_request(EDOC, data))
    assert "This client may send as" in failed(refused, "403", "SUBMIT_SENDER_NOT_ALLOWED: ")
    assert refused["DocId"] == ""

    g22 = vxp("vxp.g22")
    request = g22.docs.send_edoc_request(
        EDOC, signed(document(G22, [H53], 6), served.running.pki, G22)
    )
    request.body = request.body.replace(b"CV-TEST", b"CV-EVIL", 1)
    tampered = await g22.json(request)
    assert "hash-file" in failed(tampered, "401", "authentication failed: ")
    assert tampered["DocId"] == ""
    malformed = await g22.json(g22.docs.send_edoc_request(EDOC, b"<not-edxml/>"))
    failed(malformed, "400")


async def test_a_status_packet_travels_by_its_response_for(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    g22, h41 = vxp("vxp.g22"), vxp("vxp.h41")
    _, result = await served.running.send(G22, document(G22, [H41], 9))
    await served.running.landed(H41, result.message_id)
    receipt = signed(status(H41, G22, 9, StatusCode.ACCEPTED), served.running.pki, H41)
    params = {"from": H41, "to": G22, "servicetype": "eDoc", "messagetype": "status"}
    sent = ok(await h41.json(h41.docs.send_edoc_request(params, receipt)))
    statuses = {"servicetype": "eDoc", "messagetype": "status"}

    async def there() -> bool:
        return await listed(g22, sent["DocId"], statuses) is not None

    await served.running.until(there, "the status in G22's getReceivedEdocList")
    item = await listed(g22, sent["DocId"], statuses)
    assert item is not None
    assert (item["messageType"], item["from"], item["to"]) == ("status", H41, G22)
    assert await listed(g22, sent["DocId"], EDOC) is None
    assert ok(await g22.json(g22.docs.count_receive_status_request({})))["count"] == 1
    assert ok(await g22.json(g22.docs.count_receive_edoc_request({})))["count"] == 0


def every_operation(sdk: Sdk, doc_id: str, data: bytes) -> dict[str, WireRequest]:
    docs, agencies = sdk.docs, sdk.agencies
    return {
        "sendEdoc": docs.send_edoc_request(EDOC, data),
        "getReceivedEdocList": docs.get_received_edoc_list_request(EDOC),
        "getSentEdocList": docs.get_sent_edoc_list_request(EDOC),
        "getEdoc": docs.get_edoc_request({"docId": doc_id}),
        "updateStatus": docs.update_status_request({"docId": doc_id, "status": "done"}),
        "countReceiveEdoc": docs.count_receive_edoc_request(EDOC),
        "countReceiveStatus": docs.count_receive_status_request({}),
        "getAgenciesList": agencies.get_agencies_list_request({}),
        "getAgenciesListQD20": agencies.get_agencies_list_qd20_request({"level": 1}),
        "getSynchronizeUnit": agencies.get_synchronize_unit_request({}),
        "registerAgency": agencies.register_agency_request(
            {}, '{"code":"000.00.23.H41","name":"X","pcode":"000.00.00.H41"}'
        ),
        "deleteAgency": agencies.delete_agency_request({"AgencyCode": H41}),
        "downloadEdoc": docs.download_edoc_request({"docId": doc_id}),
    }


async def test_a_wrong_hmac_gets_fail_and_no_data_from_every_operation(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    data, result = await served.running.send(G22, document(G22, [H41], 7))
    doc_id = str(result.message_id)
    await served.running.landed(H41, result.message_id)
    for sdk in (
        vxp("vxp.h41", secret="a-wrong-secret-of-some-length"),
        vxp("nobody.here"),
        vxp("vxp.gov", secret=secret_of("vxp.h41")),
    ):
        requests = every_operation(sdk, doc_id, data)
        assert len(requests) == 13
        for operation, request in requests.items():
            reply = await sdk.call(request)
            if operation == "downloadEdoc":
                assert (reply.status, reply.body) == (200, b"")
                continue
            fields = answer(reply)
            assert failed(fields, "401", "authentication failed: ")
            if operation == "sendEdoc":
                assert fields["DocId"] == ""
    h41 = vxp("vxp.h41")
    assert (await listed(h41, doc_id) or {})["status"] == "pending", "nothing was acknowledged"
    registry = served.context.node.registry.registry
    assert "000.00.23.H41" not in registry
    assert (registry.get(H41) or pytest.fail("H41 is gone")).active
    downloaded = await h41.call(h41.docs.download_edoc_request({"docId": doc_id}))
    assert downloaded.body == data, "the right secret gets the document"


async def test_an_agency_cannot_read_or_acknowledge_another_agencys_documents(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    _, result = await served.running.send(G22, document(G22, [H41], 8))
    doc_id = str(result.message_id)
    await served.running.landed(H41, result.message_id)
    h53 = vxp("vxp.h53")
    failed(
        await h53.json(h53.docs.get_edoc_request({"docId": doc_id})),
        "404",
        "INBOX_ITEM_NOT_FOUND: ",
    )
    acked = await h53.json(h53.docs.update_status_request({"docId": doc_id, "status": "done"}))
    failed(acked, "404", "INBOX_ITEM_NOT_FOUND: ")
    stolen = await h53.call(h53.docs.download_edoc_request({"docId": doc_id}))
    assert (stolen.status, stolen.body) == (200, b"")
    assert stolen.header("X-Axis-Error") is not None
    assert await listed(h53, doc_id) is None
    sent = await h53.json(h53.docs.get_sent_edoc_list_request({"docId": doc_id}))
    failed(sent, "404", "SENT_NOT_FOUND: ")
    h41 = vxp("vxp.h41")
    assert (await listed(h41, doc_id) or {})["status"] == "pending", "nothing moved it"
    failed(await h41.json(h41.docs.get_edoc_request({})), "400", "PARAM_MISSING: ")
    failed(await h41.json(h41.docs.get_edoc_request({"docId": "../../etc"})), "404")
    bad = h41.docs.update_status_request({"docId": doc_id, "status": "finished"})
    failed(await h41.json(bad), "400", "STATUS_INVALID: ")
    # The docId left on h41's service object by getEdoc is not a filter of its sent list.
    assert ok(await h41.json(h41.docs.get_sent_edoc_list_request(EDOC)))["data"] == []
    gov = vxp("vxp.gov")
    failed(await gov.json(gov.docs.get_received_edoc_list_request(EDOC)), "403", "ROLE_REQUIRED: ")


async def test_the_agency_lists_come_from_the_registry(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    h41 = vxp("vxp.h41")
    reply = await h41.call(h41.agencies.get_agencies_list_request({}))
    assert b"V\\u0103n ph\\u00f2ng Ch\\u00ednh ph\\u1ee7" in reply.body
    agencies = {item["code"]: item for item in ok(answer(reply))["data"]}
    assert {G22, H41, H53} <= set(agencies)
    assert H39 not in agencies, "closed units are not offered as recipients"
    assert DISTRICT not in agencies
    assert agencies[G22] == {
        "code": G22,
        "id": G22,
        "mail": "",
        "name": "Văn phòng Chính phủ",
        "pid": "",
        "oldCode": "",
    }

    qd20 = ok(await h41.json(h41.agencies.get_agencies_list_qd20_request({"level": 1})))["data"]
    by_code = {item["id"]: item for item in qd20}
    assert by_code[H41]["code102"] == H41
    assert set(by_code[H41]) == {"code", "id", "mail", "name", "code102"}
    assert all(item["id"] != DISTRICT for item in qd20), "level 2 is filtered out"

    units = ok(await h41.json(h41.agencies.get_synchronize_unit_request({})))["data"]
    synced = {item["code"]: item for item in units}
    assert synced[DISTRICT]["deleted"] is True
    assert synced[DISTRICT]["pid"] == H39
    assert synced[H41]["deleted"] is False
    assert synced[H41]["isAgency"] is True
    assert isinstance(synced[H41]["version"], int)
    assert LOCAL_TIME.match(synced[H41]["modifyDate"])
    assert all(isinstance(v, str | int | bool) for item in units for v in item.values())
    note = h41.agencies.get_agencies_list_request({"note": "Văn bản"})  # UTF-8 on the wire
    assert ok(await h41.json(note))["data"]
    bad_level = await h41.json(h41.agencies.get_agencies_list_qd20_request({"level": "x"}))
    failed(bad_level, "400", "LEVEL_INVALID: ")


async def test_the_registry_authority_registers_and_deletes_agencies(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    gov, h41 = vxp("vxp.gov"), vxp("vxp.h41")
    code = "000.00.22.H41"
    data = f"{{id:'', pcode: '{H41}', code: {code}, name: 'UBND huyện Nam Đàn', mail: a@b.vn,}}"
    ok(await gov.json(gov.agencies.register_agency_request({}, data)))
    agencies = ok(await h41.json(h41.agencies.get_agencies_list_request({})))["data"]
    (unit,) = [a for a in agencies if a["code"] == code]
    assert (unit["name"], unit["pid"], unit["mail"]) == ("UBND huyện Nam Đàn", H41, "a@b.vn")
    again = ok(await gov.json(gov.agencies.register_agency_request({}, data)))
    assert "already" in again["ErrorDesc"]

    ok(await gov.json(gov.agencies.delete_agency_request({"AgencyCode": code})))
    units = ok(await h41.json(h41.agencies.get_synchronize_unit_request({})))["data"]
    assert [u["deleted"] for u in units if u["code"] == code] == [True]
    other_spelling = vxp("vxp.gov").agencies.delete_agency_request({"agencycode": code})
    assert "already" in ok(await gov.json(other_spelling))["ErrorDesc"]
    unknown = await gov.json(gov.agencies.delete_agency_request({"AgencyCode": "000.00.00.H98"}))
    failed(unknown, "404", "REGISTRY_UNKNOWN_UNIT: ")
    stale_and_new = gov.agencies.delete_agency_request({"agencycode": "000.00.00.H97"})
    failed(await gov.json(stale_and_new), "400", "PARAM_AMBIGUOUS: ")  # AgencyCode is H98
    reused = await gov.json(gov.agencies.register_agency_request({}, data))
    failed(reused, "409", "REGISTRY_CODE_REUSED: ")
    broken = await gov.json(gov.agencies.register_agency_request({}, '{"code": "x", "name":'))
    failed(broken, "400", "AGENCY_MALFORMED: ")

    for operation in (
        h41.agencies.register_agency_request({}, data.replace("22", "23")),
        h41.agencies.delete_agency_request({"AgencyCode": H41}),
    ):
        refusal = failed(await h41.json(operation), "403", "ROLE_REQUIRED: ")
        assert "Government Office" in refusal
        assert "registry-authority" in refusal


@pytest.fixture
async def rootless(served: HttpNode) -> AsyncIterator[str]:
    """The same node served by an app whose compat prefix is empty; its base URL."""
    node = served.context.node
    settings = node.settings.model_copy(update={"compat_prefix": ""})
    context = AppContext(dataclasses.replace(node, settings=settings))
    port = free_port()
    server = http_server(
        create_app(context), settings.model_copy(update={"listen": f"127.0.0.1:{port}"})
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_the_prefix_is_configurable_and_double_slashes_collapse(
    served: HttpNode, vxp: Callable[..., Sdk], rootless: str
) -> None:
    prefix = served.context.settings.compat_prefix
    assert prefix == "/vxp"
    for endpoint, target in (
        (f"{served.base_url}/vxp/", "/vxp//getAgenciesList"),
        (f"{served.base_url}//vxp", "//vxp/getAgenciesList"),
        (rootless, "/getAgenciesList"),
        (f"{rootless}/", "//getAgenciesList"),
    ):
        sdk = vxp("vxp.h41", endpoint=endpoint)
        request = sdk.agencies.get_agencies_list_request({})
        assert request.target == target
        assert ok(await sdk.json(request))["data"]
    async with httpx.AsyncClient(base_url=served.base_url) as client:
        schema = (await client.get("/openapi.json")).json()
        missing = await client.post(f"{rootless}/vxp/getAgenciesList")
    assert not [path for path in schema["paths"] if "Edoc" in path or "Agenc" in path]
    assert missing.status_code == 404, "with an empty prefix, /vxp/... is not an operation"


async def test_a_forged_status_is_refused_and_its_sender_sees_nothing_of_the_document(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    """H53 reports on G22's document to H41, which it never received: refused, and G22's sent
    list and tracking name no H53."""
    g22, h53 = vxp("vxp.g22"), vxp("vxp.h53")
    _, result = await served.running.send(G22, document(G22, [H41], 31))
    forged = signed(status(H53, G22, 31, StatusCode.FINISHED), served.running.pki, H53)
    params = {"from": H53, "to": G22, "servicetype": "eDoc", "messagetype": "status"}
    refused = await h53.json(h53.docs.send_edoc_request(params, forged))
    failed(refused, "403", "STATUS_NOT_A_RECIPIENT: ")
    assert refused["DocId"] == ""
    sent = ok(await g22.json(g22.docs.get_sent_edoc_list_request(EDOC)))["data"]
    mine = [item for item in sent if item["senderDocId"] == str(result.message_id)]
    assert mine and {item["toCode"] for item in mine} == {H41}
    async with served.client("h53") as client:
        tracked = await client.get(f"/v1/tracking/{result.message_id}")
    assert tracked.status_code == 404


# --- what each operation signs (issue 14, finding 3) ---------------------------------------


def replayed(request: WireRequest, operation: str) -> WireRequest:
    """A captured request sent, unchanged, to another operation's path."""
    prefix = request.target.rsplit("/", 1)[0]
    return dataclasses.replace(
        request, target=f"{prefix}/{operation}", headers=list(request.headers)
    )


async def strict(served: HttpNode, client_id: str, on: bool = True) -> None:
    async with served.client("operator") as operator:
        changed = await operator.put(
            f"/v1/clients/{client_id}/strict-parameters", json={"strict": on}
        )
    assert (changed.status_code, changed.json()["strict_parameters"]) == (200, on), changed.text


async def test_a_captured_get_edoc_with_a_leftover_status_cannot_acknowledge_for_a_strict_client(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    _, result = await served.running.send(G22, document(G22, [H41], 21))
    doc_id = str(result.message_id)
    await served.running.landed(H41, result.message_id)
    await strict(served, "vxp.h41")
    h41 = vxp("vxp.h41")
    # The DMS's service object answered an earlier document: `status=done` stays on it, so the
    # getEdoc it signs next carries it too. An attacker captures that getEdoc...
    h41.docs.update_status_request({"docId": str(uuid.uuid4()), "status": "done"})
    captured = h41.docs.get_edoc_request({"docId": doc_id, "filePath": "/home/clerk/vxp-store"})
    assert '"XroadVnpt-status":"done"' in (captured.header("XroadVnpt-sign-header") or "")
    # ...and replays it to updateStatus: refused, and the document stays unanswered.
    refusal = failed(await h41.json(replayed(captured, "updateStatus")), "400", "PARAM_UNUSED: ")
    assert "filePath" in refusal and "status" in refusal
    assert (await listed(vxp("vxp.h41"), doc_id) or {})["status"] == "pending"
    # The strict client itself makes one service object per call, and every operation works.
    fresh = vxp("vxp.h41")
    ok(await fresh.json(fresh.docs.get_edoc_request({"docId": doc_id, "filePath": "/tmp/x"})))
    fresh = vxp("vxp.h41")
    ok(await fresh.json(fresh.docs.update_status_request({"docId": doc_id, "status": "done"})))
    fresh = vxp("vxp.h41")
    assert ok(await fresh.json(fresh.docs.count_receive_edoc_request(EDOC)))["count"] == 0
    async with served.client("operator") as operator:
        audit = (await operator.get("/v1/audit")).json()
    assert [(e["action"], e["target"], e["detail"]) for e in audit][:1] == [
        ("clients.strict_parameters", "vxp.h41", {"strict": True})
    ]


async def test_the_vendors_receive_loop_on_one_service_object_still_works(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    """getReceivedEdocList -> getEdoc -> updateStatus on one object, twice over: from the second
    pass on every request carries the others' parameters, which a client without strict
    parameters may do."""
    sent = []
    for number in (22, 23):
        _, result = await served.running.send(G22, document(G22, [H41], number))
        await served.running.landed(H41, result.message_id)
        sent.append(str(result.message_id))
    loop = vxp("vxp.h41")
    items = ok(await loop.json(loop.docs.get_received_edoc_list_request(EDOC)))["data"]
    assert sorted(item["docId"] for item in items) == sorted(sent)
    for item in items:
        request = loop.docs.get_edoc_request({"docId": item["docId"], "filePath": "/tmp/store"})
        assert base64.b64decode(ok(await loop.json(request))["data"])
        ok(
            await loop.json(
                loop.docs.update_status_request({"docId": item["docId"], "status": "done"})
            )
        )
    leftovers = loop.docs.get_received_edoc_list_request(EDOC).header("XroadVnpt-sign-header")
    assert '"XroadVnpt-filePath"' in (leftovers or "") and '"XroadVnpt-status"' in (leftovers or "")
    assert ok(await loop.json(loop.docs.get_received_edoc_list_request(EDOC)))["data"] == []

    await strict(served, "vxp.h41")  # the same loop, for a client declared strict: refused
    _, result = await served.running.send(G22, document(G22, [H41], 24))
    await served.running.landed(H41, result.message_id)
    request = loop.docs.get_edoc_request({"docId": str(result.message_id), "filePath": "/tmp/s"})
    failed(await loop.json(request), "400", "PARAM_UNUSED: ")


async def test_a_request_signed_for_send_edoc_acts_as_no_other_operation(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    _, result = await served.running.send(G22, document(G22, [H41], 25))
    await served.running.landed(H41, result.message_id)
    h41 = vxp("vxp.h41")
    packet = signed(document(H41, [G22], 26), served.running.pki, H41)
    captured = h41.docs.send_edoc_request(EDOC, packet)
    for operation in ("getReceivedEdocList", "countReceiveEdoc", "getSentEdocList"):
        refusal = await h41.json(replayed(captured, operation))
        failed(refusal, "400", "PARAM_CONTENT_TYPE: ")
    listing = h41.docs.get_received_edoc_list_request(EDOC)
    listing.body, listing.headers = (
        packet + b"\r\n",
        [(k, str(len(packet) + 2) if k == "Content-Length" else v) for k, v in listing.headers],
    )
    failed(await h41.json(replayed(listing, "sendEdoc")), "400")
    ok(await h41.json(captured))  # the request itself, where it was meant to go


async def test_failed_hmac_authentications_are_throttled_per_systemid_and_address(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    clock = [1000.0]
    served.context.throttle = AuthThrottle(
        per_address=8, per_client=3, window=300, clock=lambda: clock[0]
    )
    guesser = vxp("vxp.h41", secret="guess-number-one-of-many")
    for _ in range(3):
        failed(await guesser.json(guesser.agencies.get_agencies_list_request({})), "401")
    reply = await guesser.call(guesser.agencies.get_agencies_list_request({}))
    failed(answer(reply), "429", "AUTH_THROTTLED: ")
    assert reply.header("Retry-After") == "300"
    right = vxp("vxp.h41")  # the right secret is not even checked while the id is blocked
    failed(
        await right.json(right.agencies.get_agencies_list_request({})), "429", "AUTH_THROTTLED: "
    )
    other = vxp("vxp.g22")  # another systemid from the address is still served
    ok(await other.json(other.agencies.get_agencies_list_request({})))
    for name in ("nobody.1", "nobody.2", "nobody.3", "nobody.4", "nobody.5"):
        stranger = vxp(name)
        failed(await stranger.json(stranger.agencies.get_agencies_list_request({})), "401")
    failed(
        await other.json(other.agencies.get_agencies_list_request({})), "429", "AUTH_THROTTLED: "
    )
    download = await other.call(other.docs.download_edoc_request({"docId": str(uuid.uuid4())}))
    assert (download.body, download.header("Retry-After")) == (b"", "300")
    clock[0] += 301  # the window has passed: everyone is served again
    ok(await right.json(right.agencies.get_agencies_list_request({})))
    ok(await other.json(other.agencies.get_agencies_list_request({})))


async def test_an_existing_short_sdk_secret_imported_on_purpose_signs_sdk_requests(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    async with served.context.node.sessions.begin() as session:
        issued = await served.context.services.clients.add(
            session, client_id="vxp.old", name="old DMS", codes=[H41], roles=[Role.AGENCY],
            hmac_enabled=True, secret="vnpt2019", allow_weak_secret=True,
        )  # fmt: skip
    assert issued.client.weak_secret
    old = vxp("vxp.old", secret="vnpt2019")
    ok(await old.json(old.docs.get_received_edoc_list_request(EDOC)))
    async with served.client(secret="vnpt2019") as bearer:
        assert (await bearer.get("/v1/inbox")).status_code == 401


async def test_what_a_dms_can_only_learn_from_the_reply(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    """The reply is all the SDK gives its caller: a repeat, a refused recipient, a document no
    recipient can receive (a FAIL, so the caller's ErrorCode check sees it), the items' sizes."""
    g22, h41 = vxp("vxp.g22"), vxp("vxp.h41")
    data = signed(document(G22, [H41, H99], 32), served.running.pki, G22)
    first = ok(await g22.json(g22.docs.send_edoc_request(EDOC, data)))
    assert first["ErrorDesc"].startswith("Success; not delivered to 000.00.00.H99 (REGISTRY_")
    again = ok(await g22.json(g22.docs.send_edoc_request(EDOC, data)))
    assert again["DocId"] == first["DocId"]
    assert "duplicate of an earlier submission" in again["ErrorDesc"]

    nowhere = signed(document(G22, [H99], 33), served.running.pki, G22)
    refused = await g22.json(g22.docs.send_edoc_request(EDOC, nowhere))
    failed(refused, "404", "RECIPIENTS_REJECTED: ")
    assert uuid.UUID(refused["DocId"])  # the message the 02 notices answer

    item = await until_listed(served, h41, first["DocId"])
    fetched = ok(await h41.json(h41.docs.get_edoc_request({"docId": first["DocId"]})))
    delivered = base64.b64decode(fetched["data"])
    assert item["contentLength"] == len(delivered) == len(data)
    assert item["contentSha256"] == hashlib.sha256(delivered).hexdigest()
    assert item["versionSdk"] == "SDKVXP 2.0.1"


async def test_a_wrong_endpoint_prefix_gets_a_fail_naming_the_right_one(
    served: HttpNode, vxp: Callable[..., Sdk]
) -> None:
    """FastAPI's JSON 404 reads to the SDK as an all-empty result (an outage looks like an
    empty inbox); the SDK gets its own FAIL naming the endpoint instead."""
    for wrong in (served.base_url + "/vxpx", served.base_url):
        sdk = vxp("vxp.h41", endpoint=wrong)
        listed_items = await sdk.json(sdk.docs.get_received_edoc_list_request(EDOC))
        description = failed(listed_items, "404", "ENDPOINT_NOT_FOUND: ")
        assert served.base_url + "/vxp" in description and "getReceivedEdocList" in description
        sent = await sdk.json(sdk.docs.send_edoc_request(EDOC, b"<edXML/>"))
        failed(sent, "404", "ENDPOINT_NOT_FOUND: ")
        assert sent["DocId"] == ""
        downloaded = await sdk.call(sdk.docs.download_edoc_request({"docId": "x"}))
        assert downloaded.body == b""
    async with served.client("h41") as client:
        plain = await client.get("/vxpx/getReceivedEdocList")
    assert plain.status_code == 404 and plain.json()["error"]["code"] == "NOT_FOUND"
