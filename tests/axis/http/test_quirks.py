"""The real-world quirks the acceptance policy lets through (tests/fixtures/quirks, one file per
quirk): each is accepted over `/v1/packets` with its finding in the answer and the tracking
timeline, and routed end to end to the inboxes it names."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from envelopes.records import RecordKind
from tests.axis.http.conftest import HttpNode
from tests.support.packets import document
from tests.support.running_node import G22, H41, H53, signed

pytestmark = pytest.mark.integration

QUIRKS = Path(__file__).parents[2] / "fixtures" / "quirks"
ROUTED: dict[str, tuple[str, set[str]]] = {
    "business-document-id-impossible-date.edxml": (
        "EDXML_REFERENCED_DOCUMENT_ID_INVALID", {H41, H53},
    ),
    # Acts on document 40 (named by ResponseFor): its earlier recipients get the revoke too.
    "revoke-without-business-document-id.edxml": ("EDXML_BUSINESS_DOCUMENT_ID_MISSING", {H41, H53}),
    # ReplacementInfoList names H53 for the superseded document.
    "replace-without-business-document-id.edxml": (
        "EDXML_BUSINESS_DOCUMENT_ID_MISSING", {H41, H53},
    ),
    "revoke-response-for-other-organ.edxml": (
        "EDXML_REFERENCED_DOCUMENT_ID_SENDER_MISMATCH", {H41, H53},
    ),
}  # fmt: skip


async def test_each_quirk_is_accepted_with_its_finding_and_routed(http_node: HttpNode) -> None:
    running = http_node.running
    _, original = await running.send(G22, document(G22, [H41, H53], 40))
    for code in (H41, H53):
        await running.landed(code, original.message_id)
    async with http_node.client("g22") as g22:
        for name, (finding, recipients) in ROUTED.items():
            data = signed((QUIRKS / name).read_bytes(), running.pki, G22)
            sent = await g22.post("/v1/packets", content=data)
            assert sent.status_code == 202, (name, sent.text)
            reply = sent.json()
            assert [f["code"] for f in reply["findings"]] == [finding], name
            assert {f["severity"] for f in reply["findings"]} == {"finding"}
            routed = {r["target"] for r in reply["recipients"] if r["outcome"] != "rejected"}
            assert routed == recipients, name
            for code in recipients:
                await running.landed(code, UUID(reply["message_id"]))

        # The status 13 goes from the document's own sender to the recipient ResponseFor names.
        data = signed((QUIRKS / "status-13-response-for-recipient.edxml").read_bytes(),
                      running.pki, G22)  # fmt: skip
        sent = await g22.post("/v1/packets", content=data)
        assert sent.status_code == 202, sent.text
        reply = sent.json()
        assert [f["code"] for f in reply["findings"]] == [
            "EDXML_REFERENCED_DOCUMENT_ID_SENDER_MISMATCH"
        ]

        async def in_h41() -> bool:
            items = await running.inbox(H41, RecordKind.STATUS)
            return any(str(i.message_id) == reply["message_id"] for i in items)

        await running.until(in_h41, "the 13 in H41's inbox")
        report = (await g22.get(f"/v1/tracking/{original.message_id}")).json()
        assert {r["recipient"] for r in report[0]["recipients"]} == {H41, H53}


async def test_the_findings_are_in_the_tracking_timeline(http_node: HttpNode) -> None:
    running = http_node.running
    data = signed((QUIRKS / "business-document-id-impossible-date.edxml").read_bytes(),
                  running.pki, G22)  # fmt: skip
    async with http_node.client("g22") as g22:
        reply = (await g22.post("/v1/packets", content=data)).json()

        async def accepted_detail() -> bool:
            report = (await g22.get(f"/v1/tracking/{reply['message_id']}")).json()
            steps = [s for r in report[0]["recipients"] for s in r["timeline"]]
            return any("EDXML_REFERENCED_DOCUMENT_ID_INVALID" in (s["detail"] or "") for s in steps)

        await running.until(accepted_detail, "the finding in the accepted timeline entry")
