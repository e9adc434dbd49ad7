"""Operators over HTTP: clients, destinations, dead letters, the audit log, metrics."""

from __future__ import annotations

import pytest

import axis.metrics
from tests.axis.http.conftest import HttpNode
from tests.support.packets import document
from tests.support.running_node import G22, H39, H41, H53

pytestmark = pytest.mark.integration


async def test_a_client_created_over_http_works_until_rotated_or_disabled(
    http_node: HttpNode,
) -> None:
    async with http_node.client("operator") as operator:
        created = await operator.post(
            "/v1/clients", json={"client_id": "dms-h41", "name": "DMS of H41", "codes": [H41],
                                 "roles": ["agency"]},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        listed = (await operator.get("/v1/clients")).json()
        assert "dms-h41" in {c["client_id"] for c in listed}
        assert all("secret" not in c for c in listed)

        async with http_node.client(secret=secret) as dms:
            assert (await dms.get("/v1/inbox")).status_code == 200
            rotated = await operator.post("/v1/clients/dms-h41/rotate")
            assert rotated.status_code == 200
            assert (await dms.get("/v1/inbox")).status_code == 401  # the old secret
        async with http_node.client(secret=rotated.json()["secret"]) as dms:
            assert (await dms.get("/v1/inbox")).status_code == 200
            assert (await operator.post("/v1/clients/dms-h41/disable")).status_code == 200
            assert (await dms.get("/v1/inbox")).status_code == 401

        again = await operator.post("/v1/clients", json={"client_id": "dms-h41", "name": "x",
                                                          "roles": ["operator"]})  # fmt: skip
        assert (again.status_code, again.json()["error"]["code"]) == (409, "CLIENT_EXISTS")
        no_codes = await operator.post("/v1/clients", json={"name": "x", "roles": ["agency"]})
        assert no_codes.json()["error"]["code"] == "CLIENT_CODES_MISSING"
        unknown = await operator.post("/v1/clients", json={"name": "x", "roles": ["king"]})
        assert unknown.json()["error"]["code"] == "CLIENT_ROLE_UNKNOWN"

        actions = [(e["action"], e["target"], e["actor"])
                   for e in (await operator.get("/v1/audit")).json()]  # fmt: skip
    assert ("clients.add", "dms-h41", "client:operator") in actions
    assert ("clients.rotate", "dms-h41", "client:operator") in actions
    assert ("clients.disable", "dms-h41", "client:operator") in actions


async def test_a_client_of_a_closed_code_reads_the_successors_inbox_only_once_rebound(
    http_node: HttpNode,
) -> None:
    """H39 merged into H53 (version 2): its DMS's client gains nothing by itself; an operator
    rebinds it to H53, audited, and only to where H39 leads."""
    async with http_node.client("operator") as operator:
        created = await operator.post(
            "/v1/clients", json={"client_id": "dms-h39", "name": "DMS of Long An",
                                 "codes": [H39], "roles": ["agency"]},
        )  # fmt: skip
        secret = created.json()["secret"]
        async with http_node.client(secret=secret) as dms:
            assert (await dms.get("/v1/inbox", params={"code": H53})).status_code == 403
            wrong = await operator.post("/v1/clients/dms-h39/rebind", json={"from": H39, "to": H41})
            assert (wrong.status_code, wrong.json()["error"]["code"]) == (
                422, "CLIENT_REBIND_NOT_SUCCESSOR",
            )  # fmt: skip
            assert f"it leads to {H53}" in wrong.json()["error"]["message"]
            not_held = await operator.post("/v1/clients/h41/rebind", json={"from": H39, "to": H53})
            assert not_held.json()["error"]["code"] == "CLIENT_CODE_NOT_HELD"
            rebound = await operator.post(
                "/v1/clients/dms-h39/rebind", json={"from": H39, "to": H53}
            )
            assert rebound.status_code == 200, rebound.text
            assert rebound.json()["codes"] == [H53]
            assert (await dms.get("/v1/inbox", params={"code": H53})).status_code == 200
        still_active = await operator.post("/v1/clients/h41/rebind", json={"from": H41, "to": H53})
        assert "still active" in still_active.json()["error"]["message"]
        entries = [e for e in (await operator.get("/v1/audit")).json()
                   if e["action"] == "clients.rebind"]  # fmt: skip
    assert [(e["target"], e["detail"]["from"], e["detail"]["to"]) for e in entries] == [
        ("dms-h39", H39, H53)
    ]


async def test_pausing_a_destination_is_audited_and_listed(http_node: HttpNode) -> None:
    async with http_node.client("operator") as operator:
        paused = await operator.post(f"/v1/destinations/{H41}/pause", json={"reason": "upgrade"})
        assert paused.json() == {"code": H41, "changed": True}
        again = await operator.post(f"/v1/destinations/{H41}/pause", json={"reason": "upgrade"})
        assert again.json()["changed"] is False
        listed = (await operator.get("/v1/destinations/paused")).json()
        assert [(p["code"], p["paused_by"], p["reason"]) for p in listed] == [
            (H41, "client:operator", "upgrade")
        ]
        assert (await operator.post(f"/v1/destinations/{H41}/resume")).json()["changed"] is True
        assert (await operator.get("/v1/destinations/paused")).json() == []
        missing = await operator.get("/v1/dead-letters/999999")
        assert missing.json()["error"]["code"] == "DEAD_LETTER_NOT_FOUND"
        empty = await operator.post("/v1/dead-letters/replay", json={})
        assert empty.json()["error"]["code"] == "REPLAY_SELECTION_MISSING"


async def test_metrics_count_what_the_node_did(
    http_node: HttpNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = http_node.running
    _, result = await running.send(G22, document(G22, [H41], 1))
    await running.landed(H41, result.message_id)

    async def delivered_counted() -> bool:
        async with http_node.client("operator") as operator:
            text = (await operator.get("/metrics")).text
        return "axis_deliveries_delivered_total 1.0" in text

    monkeypatch.setattr(axis.metrics, "CACHE_SECONDS", 0.0)
    await running.until(delivered_counted, "the delivery in the metrics")
    async with http_node.client("operator") as operator:
        text = (await operator.get("/metrics")).text
    assert 'axis_packets_submitted_total{kind="document"} 1.0' in text
    assert "axis_registry_version 2.0" in text
    assert "axis_dead_letters_depth 0.0" in text
    assert "axis_consumer_lag{role=" in text
