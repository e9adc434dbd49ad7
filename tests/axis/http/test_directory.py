"""The directory answers are the replies built before, byte for byte, built once per registry
version (however many callers ask at once, and off the event loop), served gzipped when the
client accepts it, with an ETag; `/v1/registry/units` pages a kept view of the registry."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from axis.devtools.dataset2025 import build_dataset
from axis.http.directory import (
    Answer,
    Directory,
    Listing,
    accepts_gzip,
    build_answer,
    code_in,
    encoded,
    matches,
)
from axis.store.credentials import Role
from orgcodes.changes import parse_change_set
from orgcodes.grammar import CodeFormat
from orgcodes.model import UnitState, UnitStatus, local_time
from orgcodes.registry import Registry
from tests.axis.http.conftest import HttpNode
from tests.orgcodes.test_registry import AT_2025, LONG_AN, baseline, rearrangement
from tests.orgcodes.test_views import scanned
from tests.support.running_node import DISTRICT, G22, H39, H41, NEWCOMER, unit
from tests.support.vxp_sdk import AgencyService, VnptProperties, WireRequest

# --- the replies as built before, per call ---------------------------------------------------


def before(registry: Registry, listing: Listing, level: int | None = None) -> bytes:
    """The reply `axis.http.compat` built on every call before answers were kept."""
    active_only = listing is not Listing.SYNCHRONIZE
    states = sorted(
        (
            s
            for s in (h.current for h in registry)
            if (s.active or not active_only) and (level is None or s.level == level)
        ),
        key=lambda s: s.code,
    )
    records: list[dict[str, Any]]
    if listing is Listing.AGENCIES:
        records = [
            {"code": s.code, "id": s.code, "mail": s.contact.email or "", "name": s.name,
             "pid": s.parent or "", "oldCode": ",".join(s.old_codes)}
            for s in states
        ]  # fmt: skip
    elif listing is Listing.AGENCIES_QD20:
        records = [
            {"code": code_in(s, CodeFormat.QD20) or s.code, "id": s.code,
             "mail": s.contact.email or "", "name": s.name,
             "code102": code_in(s, CodeFormat.QCVN102)}
            for s in states
        ]  # fmt: skip
    else:
        records = [
            {"code": s.code, "id": s.code, "mail": s.contact.email or "", "name": s.name,
             "pid": s.parent or "", "version": s.version, "centerCode": s.home_axis or "",
             "deleted": not s.active, "modifyDate": local_time(s.since), "isAgency": True}
            for s in states
        ]  # fmt: skip
    fields = {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", "data": records}
    return json.dumps(fields, ensure_ascii=True, separators=(",", ":")).encode("ascii")


@pytest.fixture(scope="module")
def national() -> Registry:
    """The generated 2025 registry (14,887 units, several batches of every answer)."""
    dataset = build_dataset()
    return (
        Registry()
        .apply(parse_change_set(dataset.baseline))
        .registry.apply(parse_change_set(dataset.rearrangement))
        .registry
    )


LEVELS = (None, 0, 1, 2, 3, 4)


def test_every_answer_is_the_reply_built_before_byte_for_byte(national: Registry) -> None:
    for listing in Listing:
        for level in LEVELS if listing is Listing.AGENCIES_QD20 else (None,):
            body = encoded(national, listing, level)
            assert body == before(national, listing, level), (listing, level)
    assert encoded(Registry(), Listing.AGENCIES) == before(Registry(), Listing.AGENCIES)
    assert len(json.loads(encoded(national, Listing.SYNCHRONIZE))["data"]) == len(national)


def test_the_gzip_copy_decompresses_to_the_answer_and_each_has_its_own_etag(
    national: Registry,
) -> None:
    answer = build_answer(national, Listing.AGENCIES, None)
    assert gzip.decompress(answer.gzipped) == answer.body
    assert len(answer.gzipped) < len(answer.body) / 4
    assert answer.etag.startswith('"') and answer.etag.endswith('"')
    assert answer.etag != answer.gzip_etag
    assert build_answer(national, Listing.AGENCIES, None) == answer, "the same bytes every time"
    assert build_answer(national, Listing.SYNCHRONIZE, None).etag != answer.etag


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip,deflate", True),
        ("deflate, gzip;q=0.5", True),
        ("GZIP;Q=1.0", True),
        ("x-gzip", True),
        ("*", True),
        ("", False),
        ("identity", False),
        ("deflate, br", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000, *", False),
        ("*;q=0", False),
        ("*, gzip;q=0", False),
        ("br;q=1, *;q=0.1", True),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_is_read_with_its_q_values(header: str, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


def test_if_none_match_names_a_tag_or_everything() -> None:
    tags = ('"abc"', '"abc-gzip"')
    assert matches('"abc"', tags)
    assert matches('W/"abc-gzip"', tags)
    assert matches('"x", "abc"', tags)
    assert matches("*", tags)
    assert not matches(None, tags)
    assert not matches('"ab"', tags)
    assert not matches("abc", tags)


# --- one build, off the event loop -----------------------------------------------------------


class GatedBuild:
    """A build that waits for `release` (at most `wait` s), recording what happened in order."""

    def __init__(self, wait: float = 10.0) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.wait = wait
        self.calls = 0
        self.order: list[str] = []

    def __call__(self, registry: Registry, listing: Listing, level: int | None) -> Answer:
        self.calls += 1
        self.order.append("build started")
        self.started.set()
        self.release.wait(self.wait)
        self.order.append("build finished")
        return build_answer(registry, listing, level)


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"never: {what}")


async def test_fifty_callers_at_once_cost_one_build_and_share_its_bytes() -> None:
    gate = GatedBuild()
    directory = Directory(build=gate)
    registry = baseline().apply(rearrangement()).registry
    callers = [asyncio.create_task(directory.answer(registry, Listing.AGENCIES)) for _ in range(50)]
    await asyncio.sleep(0)
    await asyncio.to_thread(gate.started.wait, 10)
    assert not any(caller.done() for caller in callers), "all 50 wait for the one build"
    gate.release.set()
    answers = await asyncio.gather(*callers)
    assert (gate.calls, directory.builds) == (1, 1)
    assert all(answer is answers[0] for answer in answers)
    assert answers[0].body == before(registry, Listing.AGENCIES)
    again = await directory.answer(registry, Listing.AGENCIES)
    assert again is answers[0] and directory.builds == 1


async def test_the_event_loop_runs_while_an_answer_is_built() -> None:
    gate = GatedBuild(wait=5.0)
    directory = Directory(build=gate)
    registry = baseline()
    caller = asyncio.create_task(directory.answer(registry, Listing.SYNCHRONIZE))
    await asyncio.to_thread(gate.started.wait, 10)
    await asyncio.sleep(0)  # the loop takes a turn: it would not if the build held it
    gate.order.append("the loop ran")
    gate.release.set()
    await caller
    assert gate.order == ["build started", "the loop ran", "build finished"]


async def test_a_new_registry_gets_new_answers_and_the_old_ones_are_dropped() -> None:
    directory = Directory()
    first = baseline()
    second = first.apply(rearrangement()).registry
    old = await directory.answer(first, Listing.SYNCHRONIZE)
    new = await directory.answer(second, Listing.SYNCHRONIZE)
    assert directory.builds == 2
    assert (old.body, new.body) == (
        before(first, Listing.SYNCHRONIZE),
        before(second, Listing.SYNCHRONIZE),
    )
    assert old.body != new.body and old.etag != new.etag
    assert await directory.answer(second, Listing.SYNCHRONIZE) is new
    assert directory.builds == 2
    again = await directory.answer(first, Listing.SYNCHRONIZE)
    assert again is not old and again.body == old.body, "the old answer was not kept"


async def test_each_level_has_its_answer_and_a_failed_build_is_tried_again() -> None:
    failures = [RuntimeError("disk on fire")]

    def flaky(registry: Registry, listing: Listing, level: int | None) -> Answer:
        if failures:
            raise failures.pop()
        return build_answer(registry, listing, level)

    directory = Directory(build=flaky)
    registry = baseline()
    with pytest.raises(RuntimeError):
        await directory.answer(registry, Listing.AGENCIES_QD20, 2)
    second = await directory.answer(registry, Listing.AGENCIES_QD20, 2)
    assert second.body == before(registry, Listing.AGENCIES_QD20, 2)
    first = await directory.answer(registry, Listing.AGENCIES_QD20, 1)
    assert first.body == before(registry, Listing.AGENCIES_QD20, 1)
    assert first.body != second.body
    unknown = [await directory.answer(registry, Listing.AGENCIES_QD20, n) for n in (0, 99, 10**30)]
    assert all(answer is unknown[0] for answer in unknown), "levels no unit has share one"
    assert json.loads(unknown[0].body)["data"] == []
    assert directory.builds == 4


# --- the view of now, until the next transition ----------------------------------------------


async def test_the_view_of_now_is_kept_until_the_registrys_next_transition() -> None:
    now = [AT_2025 - timedelta(days=2)]
    directory = Directory(clock=lambda: now[0])
    registry = baseline().apply(rearrangement()).registry
    first = await directory.view(registry)
    now[0] = AT_2025 - timedelta(microseconds=1)
    assert await directory.view(registry) is first
    assert directory.view_builds == 1
    assert first.until == AT_2025
    assert {s.code: s.status for s in first.states}[LONG_AN] is UnitStatus.ACTIVE

    earlier = await directory.view(registry, AT_2025 - timedelta(days=300))
    assert earlier is first, "no transition lies between: the kept view answers"
    later = await directory.view(registry, AT_2025 + timedelta(days=1))
    assert later is not first and directory.view_builds == 1, "another time: for the one call"
    assert list(later.states) == scanned(registry, AT_2025 + timedelta(days=1))

    now[0] = AT_2025
    second = await directory.view(registry)
    assert second is not first and directory.view_builds == 2
    assert {s.code: s.status for s in second.states}[LONG_AN] is UnitStatus.CLOSED
    assert await directory.view(registry) is second

    changed = registry.apply(
        parse_change_set(
            {
                "effective": "2030-01-01T00:00:00Z",
                "reason": "test",
                "changes": [{"op": "rename", "code": LONG_AN.replace("H37", "H53"), "name": "X"}],
            }
        )
    ).registry
    assert await directory.view(changed) is not second, "a new registry object: a new view"
    assert directory.view_builds == 3


# --- over HTTP --------------------------------------------------------------------------------

SECRET = "vxp.dir/used+as+raw+UTF8+bytes=="


def agencies(http_node: HttpNode) -> AgencyService:
    endpoint = http_node.base_url + http_node.context.settings.compat_prefix
    return AgencyService(VnptProperties(endpoint, "vxp.dir", SECRET))


async def sdk(
    client: httpx.AsyncClient,
    request: WireRequest,
    *,
    accept: str = "gzip,deflate",
    if_none_match: str | None = None,
) -> tuple[httpx.Response, bytes]:
    """The SDK's request through the app; the reply and its body as sent (not decoded)."""
    skip = {"host", "content-length", "connection", "expect", "accept-encoding"}
    headers = [(k, v) for k, v in request.headers if k.lower() not in skip]
    headers.append(("Accept-Encoding", accept))
    if if_none_match is not None:
        headers.append(("If-None-Match", if_none_match))
    async with client.stream(
        request.method, request.target, headers=headers, content=request.body
    ) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


@pytest.fixture
async def dir_node(http_node: HttpNode) -> HttpNode:
    await http_node.add_client("vxp.dir", [H41], [Role.AGENCY], hmac=True, secret=SECRET)
    return http_node


@pytest.mark.integration
async def test_the_sdk_gets_the_same_bytes_gzipped_on_request_with_an_etag(
    dir_node: HttpNode,
) -> None:
    registry = dir_node.context.node.registry.registry
    requests = {
        Listing.AGENCIES: lambda: agencies(dir_node).get_agencies_list_request({}),
        Listing.SYNCHRONIZE: lambda: agencies(dir_node).get_synchronize_unit_request({}),
    }
    async with dir_node.client() as client:
        for listing, request in requests.items():
            plain, body = await sdk(client, request(), accept="identity")
            assert plain.status_code == 200
            assert body == before(registry, listing)
            assert "content-encoding" not in plain.headers
            assert plain.headers["content-length"] == str(len(body))
            assert plain.headers["content-type"] == "application/json"
            assert plain.headers["vary"] == "Accept-Encoding"

            packed, raw = await sdk(client, request(), accept="deflate, gzip;q=0.8")
            assert packed.headers["content-encoding"] == "gzip"
            assert packed.headers["content-length"] == str(len(raw))
            assert gzip.decompress(raw) == body
            refused_gzip, same = await sdk(client, request(), accept="gzip;q=0, *")
            assert "content-encoding" not in refused_gzip.headers and same == body

            tag = plain.headers["etag"]
            assert tag != packed.headers["etag"]
            for known in (tag, packed.headers["etag"], f'"nope", W/{tag}'):
                cached, empty = await sdk(client, request(), if_none_match=known)
                assert (cached.status_code, empty) == (304, b"")
                assert cached.headers["etag"] == packed.headers["etag"]
            fresh, _ = await sdk(client, request(), if_none_match='"nope"')
            assert fresh.status_code == 200
    assert dir_node.context.directory.builds == 2


@pytest.mark.integration
async def test_a_change_set_gives_a_new_answer_never_the_kept_one(dir_node: HttpNode) -> None:
    async with dir_node.client() as client:
        old, old_body = await sdk(client, agencies(dir_node).get_agencies_list_request({}))
        assert NEWCOMER not in gzip.decompress(old_body).decode()
        async with dir_node.client("authority") as authority:
            applied = await authority.post(
                "/v1/registry/changesets",
                json={
                    "effective": datetime.now(UTC).isoformat(),
                    "reason": "a new unit",
                    "changes": [unit(NEWCOMER, "Sở Khoa học và Công nghệ")],
                },
            )
            assert applied.status_code == 201, applied.text
        request = agencies(dir_node).get_agencies_list_request({})
        new, new_body = await sdk(client, request, if_none_match=old.headers["etag"])
        assert new.status_code == 200, "the old ETag names the old answer"
        assert new.headers["etag"] != old.headers["etag"]
        codes = {item["code"] for item in json.loads(gzip.decompress(new_body))["data"]}
        assert NEWCOMER in codes
        registry = dir_node.context.node.registry.registry
        assert gzip.decompress(new_body) == before(registry, Listing.AGENCIES)


@pytest.mark.integration
async def test_qd20_narrows_by_level_and_refuses_a_level_that_is_no_number(
    dir_node: HttpNode,
) -> None:
    registry = dir_node.context.node.registry.registry
    async with dir_node.client() as client:
        for level in (1, 2, 7):
            request = agencies(dir_node).get_agencies_list_qd20_request({"level": level})
            _, body = await sdk(client, request, accept="identity")
            assert body == before(registry, Listing.AGENCIES_QD20, level)
        one = json.loads(before(registry, Listing.AGENCIES_QD20, 1))["data"]
        assert H41 in {item["id"] for item in one} and DISTRICT not in {i["id"] for i in one}
        _, every = await sdk(
            client, agencies(dir_node).get_agencies_list_qd20_request({}), accept="identity"
        )
        assert every == before(registry, Listing.AGENCIES_QD20)
        bad = agencies(dir_node).get_agencies_list_qd20_request({"level": "x"})
        reply, body = await sdk(client, bad)
        fields = json.loads(body)
        assert (reply.status_code, fields["status"], fields["ErrorCode"]) == (200, "FAIL", "400")
        assert fields["ErrorDesc"].startswith("LEVEL_INVALID: ")
        endpoint = agencies(dir_node).properties.endpoint
        wrong = AgencyService(VnptProperties(endpoint, "vxp.dir", "a-wrong-secret"))
        reply, body = await sdk(client, wrong.get_agencies_list_request({}))
        assert json.loads(body)["ErrorDesc"].startswith("authentication failed: ")
        assert "etag" not in reply.headers


@pytest.mark.integration
async def test_healthz_answers_and_fifty_callers_wait_for_one_build(dir_node: HttpNode) -> None:
    directory = dir_node.context.directory
    gate = GatedBuild(wait=10.0)
    directory.build = gate
    entered = 0
    answer = directory.answer

    async def counted(*args: Any) -> Answer:
        nonlocal entered
        entered += 1
        return await answer(*args)

    directory.answer = counted  # type: ignore[method-assign]
    async with dir_node.client() as client:
        callers = [
            asyncio.create_task(sdk(client, agencies(dir_node).get_agencies_list_request({})))
            for _ in range(50)
        ]
        await asyncio.to_thread(gate.started.wait, 10)
        health = await client.get("/healthz")
        gate.order.append("healthz answered")
        assert health.status_code == 200
        await until(lambda: entered == 50, "50 callers waiting for the answer")
        gate.release.set()
        replies = await asyncio.gather(*callers)
    assert gate.order == ["build started", "healthz answered", "build finished"]
    assert (gate.calls, directory.builds) == (1, 1)
    bodies = {gzip.decompress(raw) for _, raw in replies}
    assert bodies == {before(dir_node.context.node.registry.registry, Listing.AGENCIES)}


@pytest.mark.integration
async def test_registry_units_page_a_kept_view_with_an_etag(http_node: HttpNode) -> None:
    registry = http_node.context.node.registry.registry
    now = datetime.now(UTC)
    queries: list[dict[str, Any]] = [
        {},
        {"status": "active"},
        {"status": "closed", "limit": 1},
        {"parent": H39},
        {"level": 1, "offset": 2, "limit": 2},
        {"q": "ubnd", "status": "active"},
        {"q": "H4"},
    ]
    async with http_node.client("h41") as client:
        for query in queries:
            reply = await client.get("/v1/registry/units", params=query)
            assert reply.status_code == 200
            page = reply.json()
            filters = {k: query[k] for k in ("q", "parent", "level") if k in query}
            if "status" in query:
                filters["status"] = UnitStatus(query["status"])
            expected: list[UnitState] = scanned(registry, now, **filters)
            offset, limit = query.get("offset", 0), query.get("limit", 50)
            assert page["total"] == len(expected), query
            assert [u["code"] for u in page["units"]] == [
                s.code for s in expected[offset : offset + limit]
            ]
            tag = reply.headers["etag"]
            again = await client.get(
                "/v1/registry/units", params=query, headers={"If-None-Match": tag}
            )
            assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
        assert http_node.context.directory.view_builds == 1
        (g22,) = (await client.get("/v1/registry/units", params={"q": "chính phủ"})).json()["units"]
        assert g22 == {
            **g22,
            "code": G22,
            "parent": None,
            "status": "active",
            "successors": [],
            "email": None,
        }
        past = await client.get(
            "/v1/registry/units", params={"q": "bến lức", "at": "2025-06-30T00:00:00+07:00"}
        )
        assert past.json()["units"][0]["status"] == "active"
        assert http_node.context.directory.view_builds == 1, "another time: not kept"
