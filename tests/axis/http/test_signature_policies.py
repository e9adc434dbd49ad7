"""Signature policies per client (require, node-signs, accept-authenticated) on a running node:
a DMS that does not sign gets its packets through, signed by the node or marked as unsigned,
and nobody else's packets are weakened by it."""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from axis.keys.agency_keys import AgencyKeyStore
from axis.keys.node_secret import load_or_create
from axis.store.credentials import Role
from envelopes.model import DocumentPacket
from envelopes.parsing import parse_packet
from envelopes.records import RecordKind, sha256
from routing.payloads import PayloadRef
from routing.tracking import TrackingStore
from signing.certificates import load_certificate, load_private_key
from signing.trust_files import load_trust_directory
from signing.verification import PacketVerifier
from tests.axis.http.conftest import HttpNode
from tests.axis.http.test_compat import Sdk, make_sdk, ok
from tests.envelopes.fixture_files import sample
from tests.support.packets import document
from tests.support.running_node import G22, H41, signed

pytestmark = pytest.mark.integration


def _legacy_signed(data: bytes) -> bytes:
    """`data` with the legacy signature real packets carry: outside the XML-DSig namespace,
    rsa-sha1, a certificate reduced to a name (never valid)."""
    legacy = sample("legacy-quirks.edxml")
    start, end = legacy.index(b"<Signature>"), legacy.index(b"</Signature>") + len(b"</Signature>")
    return data.replace(b"</edXML:edXMLHeader>", legacy[start:end] + b"</edXML:edXMLHeader>", 1)


async def _with_policy(
    node: HttpNode, name: str, policy: str, *, hmac: bool = False, codes: list[str] | None = None
) -> str:
    secret = await node.add_client(name, codes or [G22], [Role.AGENCY], hmac=hmac)
    async with node.client("operator") as operator:
        changed = await operator.put(
            f"/v1/clients/{name}/signature-policy", json={"policy": policy}
        )
    assert changed.status_code == 200, changed.text
    assert changed.json()["signature_policy"] == policy
    return secret


async def _hold_g22_key(node: HttpNode) -> None:
    pki = node.running.pki
    store = AgencyKeyStore(load_or_create(node.context.settings.secret_key_path))
    async with node.context.node.sessions.begin() as session:
        await store.put(
            session, G22, load_private_key(pki / f"{G22}.key"), load_certificate(pki / f"{G22}.pem")
        )


@pytest.fixture
def vxp_factory(served: HttpNode) -> Callable[..., Awaitable[Sdk]]:
    """`await vxp_factory(name, codes, policy)`: an SDK client with that signature policy."""

    async def made(name: str, codes: list[str], policy: str) -> Sdk:
        secret = await _with_policy(served, name, policy, hmac=True, codes=codes)
        return make_sdk(served.base_url + served.context.settings.compat_prefix, name, secret)

    return made


def _verifier(pki: Path) -> PacketVerifier:
    return PacketVerifier(load_trust_directory(pki))


async def test_an_unsigned_packet_is_refused_under_require(http_node: HttpNode) -> None:
    async with http_node.client("g22") as g22:
        refused = await g22.post("/v1/packets", content=document(G22, [H41], 60))
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "SIGNATURE_MISSING"


async def test_accept_authenticated_routes_unsigned_packets_marked_as_such(
    http_node: HttpNode,
) -> None:
    await _with_policy(http_node, "dms-unsigned", "accept-authenticated")
    running = http_node.running
    async with http_node.client("dms-unsigned") as dms:
        sent = await dms.post("/v1/packets", content=document(G22, [H41], 61))
        assert sent.status_code == 202, sent.text
        assert sent.json()["signature"] == "client-authenticated"
        message_id = UUID(sent.json()["message_id"])
        await running.landed(H41, message_id)

        async def marked() -> bool:
            report = (await dms.get(f"/v1/tracking/{message_id}")).json()
            steps = [s for r in report[0]["recipients"] for s in r["timeline"]]
            return bool(steps)

        await running.until(marked, "the unsigned packet's tracking")
        # A legacy signature never counts as valid, and does not stop the packet either.
        legacy = await dms.post("/v1/packets", content=_legacy_signed(document(G22, [H41], 66)))
        assert legacy.status_code == 202, legacy.text
        assert legacy.json()["signature"] == "client-authenticated"
        # A real XML-DSig signature that fails is refused whatever the policy.
        good = signed(document(G22, [H41], 62), running.pki, G22)
        tampered = good.replace(b"CV-TEST", b"CV-XXXX", 1)
        refused = await dms.post("/v1/packets", content=tampered)
        assert refused.json()["error"]["code"] == "SIGNATURE_DIGEST_MISMATCH"
        # Nor does the policy let the client send as another agency.
        other = await dms.post("/v1/packets", content=document(H41, [G22], 63))
        assert other.json()["error"]["code"] == "SUBMIT_SENDER_NOT_ALLOWED"
    async with running.node.sessions() as session:
        timeline = await TrackingStore().timeline(session, message_id)
    accepted = [e for e in timeline if e.event.value == "accepted"]
    assert accepted and "unsigned, client-authenticated" in (accepted[0].detail or "")


async def test_node_signs_for_an_agency_whose_dms_does_not_sign(
    http_node: HttpNode, tmp_path: Path
) -> None:
    await _with_policy(http_node, "dms-nosign", "node-signs")
    running = http_node.running
    unsigned = document(G22, [H41], 64)
    async with http_node.client("dms-nosign") as dms:
        missing = await dms.post("/v1/packets", content=unsigned)
        assert missing.status_code == 422
        assert missing.json()["error"]["code"] == "NODE_KEY_MISSING"
        await _hold_g22_key(http_node)
        sent = await dms.post("/v1/packets", content=unsigned)
        assert sent.status_code == 202, sent.text
        assert sent.json()["signature"] == "node-signed"
        message_id = sent.json()["message_id"]
    await running.landed(H41, UUID(message_id))
    async with http_node.client("h41") as h41:
        delivered = (await h41.get(f"/v1/packets/{message_id}")).content
    verified = _verifier(running.pki).verify(delivered, at=datetime.now(UTC))
    assert verified.signer.code == G22
    assert isinstance(verified.packet, DocumentPacket)
    assert verified.packet.document_id == parse_packet(unsigned).document_id  # type: ignore[union-attr]
    _xmlsec1_verifies(delivered, running.pki, tmp_path)
    # The bytes the DMS handed over are kept (the evidence log names them by SHA-256).
    kept = await running.node.delivery.payloads.read(
        PayloadRef(sha256(unsigned).hex(), len(unsigned))
    )
    assert kept == unsigned


async def test_node_signs_through_the_sdk_operations(
    served: HttpNode, tmp_path: Path, vxp_factory: Callable[..., Awaitable[Sdk]]
) -> None:
    """The acceptance: an SDK client with node-signs sends an unsigned packet; the recipient's
    SDK fetches a packet that axis verify and xmlsec1 accept."""
    await _hold_g22_key(served)
    sender = await vxp_factory("vxp.nosign", [G22], "node-signs")
    receiver = await vxp_factory("vxp.h41r", [H41], "require")
    unsigned = document(G22, [H41], 65)
    reply = ok(await sender.json(sender.docs.send_edoc_request(
        {"from": G22, "servicetype": "eDoc", "messagetype": "edoc"}, unsigned
    )))  # fmt: skip
    doc_id = reply["DocId"]
    await served.running.landed(H41, UUID(doc_id))
    fetched = ok(await receiver.json(receiver.docs.get_edoc_request({"docId": doc_id})))
    delivered = base64.b64decode(fetched["data"])
    assert _verifier(served.running.pki).verify(delivered, at=datetime.now(UTC)).signer.code == G22
    _xmlsec1_verifies(delivered, served.running.pki, tmp_path)
    items = await served.running.inbox(H41, RecordKind.DOCUMENT)
    assert any(str(i.message_id) == doc_id for i in items)


def _xmlsec1_verifies(data: bytes, pki: Path, tmp_path: Path) -> None:
    path = tmp_path / "delivered.edxml"
    path.write_bytes(data)
    xmlsec1 = shutil.which("xmlsec1")
    assert xmlsec1, "xmlsec1 is missing: run scripts/install-prereqs"
    result = subprocess.run(
        [xmlsec1, "--verify", "--trusted-pem", str(pki / "ca.pem"), str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


async def test_node_signs_replaces_a_legacy_signature_with_its_own(http_node: HttpNode) -> None:
    await _with_policy(http_node, "dms-legacy", "node-signs")
    await _hold_g22_key(http_node)
    running = http_node.running
    async with http_node.client("dms-legacy") as dms:
        sent = await dms.post("/v1/packets", content=_legacy_signed(document(G22, [H41], 67)))
    assert sent.status_code == 202, sent.text
    assert sent.json()["signature"] == "node-signed"
    message_id = sent.json()["message_id"]
    await running.landed(H41, UUID(message_id))
    async with http_node.client("h41") as h41:
        delivered = (await h41.get(f"/v1/packets/{message_id}")).content
    assert b"rsa-sha1" not in delivered
    assert _verifier(running.pki).verify(delivered, at=datetime.now(UTC)).signer.code == G22
