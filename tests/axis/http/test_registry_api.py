"""The registry over HTTP: search, a unit with its resolve answer, the change log, change sets."""

from __future__ import annotations

import pytest

from tests.axis.http.conftest import HttpNode
from tests.support.running_node import DISTRICT, H39, H41, H53, NEWCOMER, unit

pytestmark = pytest.mark.integration


async def test_units_are_searched_and_resolved_as_the_registry_says(http_node: HttpNode) -> None:
    async with http_node.client("h41") as client:
        page = (await client.get("/v1/registry/units", params={"q": "long an"})).json()
        assert page["total"] == 1
        assert page["units"][0]["code"] == H39
        assert page["units"][0]["status"] == "closed"
        before = (await client.get("/v1/registry/units", params={
            "q": "long an", "at": "2025-06-30T00:00:00+07:00"})).json()  # fmt: skip
        assert before["units"][0]["status"] == "active"
        active = (await client.get("/v1/registry/units", params={"status": "active"})).json()
        assert H41 in {u["code"] for u in active["units"]}
        assert DISTRICT not in {u["code"] for u in active["units"]}

        detail = (await client.get(f"/v1/registry/units/{H39}")).json()
        assert detail["resolve"]["outcome"] == "redirected"
        assert detail["resolve"]["target"] == H53
        assert len(detail["history"]) == 2
        missing = await client.get("/v1/registry/units/000.00.00.H98")
        assert (missing.status_code, missing.json()["error"]["code"]) == (
            404, "REGISTRY_UNKNOWN_CODE",
        )  # fmt: skip
        log = (await client.get("/v1/registry/changes", params={"since": 1})).json()
        assert [v["version"] for v in log] == [2]
        assert log[0]["change_set"]["reason"] == "Resolution 202/2025"
        snapshot = await client.get("/v1/registry/snapshot")
        assert snapshot.json()["error"]["code"] == "REGISTRY_SNAPSHOT_UNAVAILABLE"


async def test_the_authority_applies_a_change_set_and_a_bad_one_is_refused(
    http_node: HttpNode,
) -> None:
    change_set = {
        "effective": "2026-01-01T00:00:00+07:00",
        "reason": "a new department",
        "changes": [unit(NEWCOMER, "Sở Khoa học và Công nghệ")],
    }
    async with http_node.client("authority") as authority:
        applied = await authority.post("/v1/registry/changesets", json=change_set)
        assert applied.status_code == 201, applied.text
        assert applied.json()["version"] == 3
        again = await authority.post("/v1/registry/changesets", json=change_set)
        assert again.status_code == 422
        assert again.json()["error"]["code"].startswith("REGISTRY_")
        garbage = await authority.post("/v1/registry/changesets", content=b"{not json")
        assert garbage.status_code == 422
    assert http_node.running.node.registry.resolve(NEWCOMER).deliverable


async def test_a_preview_says_what_a_change_set_will_do_and_stores_nothing(
    http_node: HttpNode,
) -> None:
    change_set = {
        "effective": "2026-01-01T00:00:00+07:00",
        "reason": "Nghị quyết 9/2026",
        "changes": [
            unit(NEWCOMER, "UBND tỉnh mới"),
            {"op": "merge", "from": [H41, NEWCOMER], "into": NEWCOMER},
        ],
    }
    before = http_node.running.node.registry.version
    async with http_node.client("operator") as operator:
        answer = await operator.post("/v1/registry/preview", json=change_set)
        assert answer.status_code == 200, answer.text
        found = answer.json()
        assert (found["version"], found["reason"]) == (before + 1, "Nghị quyết 9/2026")
        (h41,) = found["codes"]
        assert (h41["code"], h41["change"], h41["outcome"], h41["successor"]) == (
            H41, "merged", "redirected", NEWCOMER,
        )  # fmt: skip
        assert "h41" in h41["clients"]  # the test client acting for H41
        assert any("keep 000.00.00.H41" in s for s in h41["what_happens"])
        assert found["other_changes"] == {"create": 1}
        assert found["totals"]["codes_ceasing"] == 1
        bad = await operator.post(
            "/v1/registry/preview",
            json={**change_set, "changes": [{"op": "close", "code": "000.00.00.H98"}]},
        )
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, "REGISTRY_UNKNOWN_UNIT")
    assert http_node.running.node.registry.version == before
