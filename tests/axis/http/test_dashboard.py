"""The clerks' dashboard over HTTP, on a running node (real Kafka, PostgreSQL): sign-in, search,
a document's timelines per recipient, the scoping to a clerk's codes, the language switch, and
the stuck, failed and report pages."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from axis.devtools.dev_pki import KeyType, issue, new_authority
from axis.http.dashboard import i18n
from axis.http.throttle import AuthThrottle
from axis.store import dashboard_sessions
from axis.store.credentials import Role
from axis.store.trust_repository import TrustRepository
from envelopes.codes import StatusCode
from envelopes.records import RecordKind, TrackingEventType
from routing.inbox_store import Ack
from routing.lifecycle import Phase
from routing.outcomes import SubmissionResult
from routing.tracking import MessageInfo, TrackingStore
from signing.certificates import serial_hex
from tests.axis.http.conftest import HttpNode
from tests.support.packets import document, status
from tests.support.running_node import G22, H39, H41, H53

pytestmark = pytest.mark.integration

SUBJECT = "Về việc triển khai Trục liên thông văn bản quốc gia"
ANSWERS = ((StatusCode.ARRIVED, "Đã nhận văn bản"), (StatusCode.ACCEPTED, "Đã vào sổ văn bản đến"))
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def answered_document(node: HttpNode, number: int) -> SubmissionResult:
    """G22 sends document `number` to H41 and to H39 (closed: redirected to H53); both fetch
    and acknowledge it and answer 01 then 03. Returns once tracking shows all of it."""
    running = node.running
    _, result = await running.send(G22, document(G22, [H41, H39], number, subject=SUBJECT))
    message_id = result.message_id
    for code in (H41, H53):
        await running.landed(code, message_id)
        await running.node.mailbox.fetch([code], message_id)
        await running.node.mailbox.acknowledge([code], message_id, Ack.DONE)
        for answer, description in ANSWERS:
            await running.send(code, status(code, G22, number, answer, description))

    async def answered() -> bool:
        views = await running.deliveries(message_id)
        if set(views) != {H41, H53}:
            return False
        entries = [await running.timeline(message_id, code) for code in (H41, H53)]
        return all(
            views[code].phase is Phase.ACKNOWLEDGED
            and views[code].last_status is StatusCode.ACCEPTED
            for code in (H41, H53)
        ) and all(len(timeline) >= 6 for timeline in entries)

    await running.until(answered, "both recipients acknowledged and at status 03")
    return result


async def sign_in(
    client: httpx.AsyncClient, node: HttpNode, name: str, *, secret: str | None = None
) -> httpx.Response:
    """Sign `name` in through the form (on a client without an API key); the form's answer."""
    page = await client.get("/dashboard/login")
    assert page.status_code == 200
    token = CSRF.search(page.text)
    assert token is not None
    form = {
        "csrf": token.group(1),
        "client_id": name,
        "secret": secret if secret is not None else node.secrets[name],
        "next": "/dashboard/search",
    }
    return await client.post("/dashboard/login", data=form)


@asynccontextmanager
async def signed_in(node: HttpNode, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with node.client() as client:
        reply = await sign_in(client, node, name)
        assert (reply.status_code, reply.headers["location"]) == (303, "/dashboard/search")
        yield client


def cards(html: str) -> dict[str, list[tuple[str, str | None]]]:
    """Each recipient's timeline on a document page: (event, status) per row."""
    found: dict[str, list[tuple[str, str | None]]] = {}
    for part in html.split('<section class="card" data-recipient="')[1:]:
        recipient, body = part.split('"', 1)
        body = body.split("</section>", 1)[0]
        rows = re.findall(r'<tr data-event="([a-z_]+)"(?: data-status="(\d\d)")?', body)
        found[recipient] = [(event, code or None) for event, code in rows]
    return found


async def test_pages_need_a_sign_in_by_a_clerk_or_an_operator(http_node: HttpNode) -> None:
    async with http_node.client() as anonymous:
        page = await anonymous.get("/dashboard/search", params={"subject": "x"})
        assert page.status_code == 303
        cookie = page.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/dashboard" in cookie
        assert (
            page.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Fsearch%3Fsubject%3Dx"
        )
        assert (await anonymous.get("/dashboard")).headers["location"] == "/dashboard/search"
        login = await anonymous.get("/dashboard/login")
        assert "Đăng nhập" in login.text
        assert "default-src 'none'" in login.headers["content-security-policy"]
        forged = await anonymous.post(
            "/dashboard/login",
            data={
                "csrf": "forged",
                "client_id": "clerk-g22",
                "secret": http_node.secrets["clerk-g22"],
            },
        )
        assert forged.status_code == 400
        css = await anonymous.get("/dashboard/static/dashboard.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert "http" not in css.text  # nothing from another origin (no CDN, no web fonts)

    async with http_node.client() as client:
        refused = await sign_in(client, http_node, "clerk-g22", secret="not-the-secret-at-all")
        assert refused.status_code == 401
        assert "không đúng" in refused.text
        assert (await client.get("/dashboard/search")).status_code == 303

    async with signed_in(http_node, "g22") as agency:  # an agency's API client: no role here
        forbidden = await agency.get("/dashboard/search")
        assert forbidden.status_code == 403
        assert "Không có quyền truy cập" in forbidden.text

    async with signed_in(http_node, "clerk-g22") as g22:
        assert (await g22.get("/dashboard/search")).status_code == 200
        token = CSRF.search((await g22.get("/dashboard/search")).text)
        assert token is not None
        assert (await g22.post("/dashboard/logout", data={"csrf": "forged"})).status_code == 303
        assert (await g22.get("/dashboard/search")).status_code == 200  # a forged form: ignored
        await g22.post("/dashboard/logout", data={"csrf": token.group(1)})
        assert (await g22.get("/dashboard/search")).status_code == 303

    async with signed_in(http_node, "operator") as operator:
        assert (await operator.get("/dashboard/report")).status_code == 200
        async with http_node.context.node.sessions.begin() as session:
            await http_node.context.services.clients.rotate(
                session, "operator", at=datetime.now(UTC)
            )
        ended = await operator.get("/dashboard/report")
        assert (ended.status_code, ended.headers["location"]) == (303, "/dashboard/login?expired=1")


async def test_a_clerk_finds_its_document_and_reads_both_recipients_timelines(
    http_node: HttpNode,
) -> None:
    result = await answered_document(http_node, 1)
    message_id = str(result.message_id)
    async with signed_in(http_node, "clerk-g22") as g22:
        by_id = await g22.get("/dashboard/search", params={"document_id": result.document_id})
        assert by_id.status_code == 200
        assert f'href="/dashboard/messages/{message_id}"' in by_id.text
        assert by_id.text.count('<tr data-message-id="') == 1  # the statuses are not documents
        by_prefix = await g22.get("/dashboard/search", params={"document_id": f"{G22},2025/07/02,"})
        assert message_id in by_prefix.text
        by_subject = await g22.get("/dashboard/search", params={"subject": "TRỤC LIÊN THÔNG"})
        assert message_id in by_subject.text and SUBJECT in by_subject.text
        by_recipient = await g22.get("/dashboard/search", params={"recipient": H39})
        assert message_id in by_recipient.text
        nothing = await g22.get("/dashboard/search", params={"subject": "không có văn bản này"})
        assert message_id not in nothing.text and "Không có văn bản phù hợp." in nothing.text

        page = await g22.get(f"/dashboard/messages/{message_id}")
        assert page.status_code == 200
        timelines = cards(page.text)
        assert set(timelines) == {H41, H53}
        assert timelines[H41] == [
            ("routed", None), ("delivered", None), ("fetched", None), ("acknowledged", None),
            ("status", "01"), ("status", "03"),
        ]  # fmt: skip
        assert timelines[H53][0] == ("redirected", None)
        assert timelines[H53][1:] == timelines[H41][1:]
        assert SUBJECT in page.text and result.document_id in page.text
        assert "Đã tiếp nhận" in page.text and "Đã xác nhận nhận" in page.text  # Vietnamese
        assert "UBND tỉnh Nghệ An" in page.text  # the registry's names
        assert re.search(r'<time datetime="[^"]+\+00:00" title="[^"]+">\d\d/\d\d/\d{4} ', page.text)

        english = await g22.get(f"/dashboard/messages/{message_id}", params={"lang": "en"})
        assert "Accepted" in english.text and "Timeline per recipient" in english.text
        assert "Đã tiếp nhận" not in english.text
        remembered = await g22.get("/dashboard/stuck")
        assert "Stuck deliveries" in remembered.text and '<html lang="en">' in remembered.text
        back = await g22.get("/dashboard/stuck", params={"lang": "vi"})
        assert "Văn bản chậm" in back.text


async def test_a_clerk_sees_only_its_codes_documents_and_rows(http_node: HttpNode) -> None:
    await http_node.add_client("clerk-h41", [H41], [Role.CLERK])
    both = await answered_document(http_node, 2)
    _, other = await http_node.running.send(G22, document(G22, [H53], 3, subject="Chỉ gửi H53"))
    await http_node.running.reaches(other.message_id, H53, Phase.DELIVERED)
    async with signed_in(http_node, "clerk-h41") as h41:
        hidden = await h41.get("/dashboard/search", params={"document_id": other.document_id})
        assert str(other.message_id) not in hidden.text
        assert "Không có văn bản phù hợp." in hidden.text
        listed = await h41.get("/dashboard/search")
        assert str(both.message_id) in listed.text and str(other.message_id) not in listed.text
        direct = await h41.get(f"/dashboard/messages/{other.message_id}")
        assert direct.status_code == 404
        own = await h41.get(f"/dashboard/messages/{both.message_id}")
        assert set(cards(own.text)) == {H41}  # received: its own row only
        assert (await h41.get("/dashboard/messages/not-a-uuid")).status_code == 404
    async with signed_in(http_node, "operator") as operator:
        every = await operator.get(f"/dashboard/messages/{other.message_id}")
        assert set(cards(every.text)) == {H53}
        page = await operator.get(f"/dashboard/messages/{both.message_id}")
        assert set(cards(page.text)) == {H41, H53}


async def test_stuck_failed_and_report_pages_show_their_figures(http_node: HttpNode) -> None:
    running = http_node.running
    _, refused = await running.send(G22, document(G22, [H41, "000.00.00.H99"], 4))
    await running.reaches(refused.message_id, H41, Phase.DELIVERED)
    old = datetime.now(UTC) - timedelta(days=2)
    stuck_id = uuid.uuid4()
    async with running.node.sessions.begin() as session:  # a document of H41 never taken
        await TrackingStore().record_message(
            session,
            MessageInfo(
                message_id=stuck_id, kind=RecordKind.DOCUMENT, sender_code=H41,
                document_id=f"{H41},2025/07/02,77/GM", packet_sha256="ab" * 32, submitted_at=old,
                subject='<script>alert("x")</script> Giấy mời & lịch họp',
            ),
        )  # fmt: skip
        await TrackingStore().record_delivery(session, stuck_id, G22, at=old)

    async with signed_in(http_node, "clerk-g22") as g22:
        failed = await g22.get("/dashboard/failed")
        assert failed.status_code == 200
        assert 'data-recipient="000.00.00.H99"' in failed.text
        assert "REGISTRY_UNKNOWN_CODE" in failed.text
        none_to_h41 = await g22.get("/dashboard/failed", params={"recipient": H41})
        assert "000.00.00.H99" not in none_to_h41.text

        stuck = await g22.get("/dashboard/stuck", params={"hours": "24"})
        assert f'data-message-id="{stuck_id}"' in stuck.text
        assert "<script>" not in stuck.text  # escaped, never markup
        assert (
            "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Giấy mời &amp; lịch họp" in stuck.text
        )
        longer = await g22.get("/dashboard/stuck", params={"hours": "72"})
        assert str(stuck_id) not in longer.text
        odd = await g22.get("/dashboard/stuck", params={"hours": "many"})
        assert odd.status_code == 200 and "Giá trị không hợp lệ" in odd.text

        report = await g22.get("/dashboard/report")
        assert report.status_code == 200
        rows = dict(re.findall(r'<td class="num" data-figure="(\w+)">([^<]*)</td>', report.text))
        assert (rows["sent"], rows["delivered"], rows["failed"], rows["received"]) == (
            "1", "1", "1", "1",
        )  # fmt: skip
        assert report.text.count("<tr data-code=") == 1  # its own code only
    async with signed_in(http_node, "operator") as operator:
        every = await operator.get("/dashboard/report", params={"lang": "en"})
        codes = set(re.findall(r'<tr data-code="([^"]+)"', every.text))
        assert codes == {G22, H41, "000.00.00.H99"}
        assert "Figures per agency" in every.text


def test_both_languages_name_every_label_phase_event_and_status() -> None:
    assert set(i18n.VI) == set(i18n.EN)
    for table in (i18n.PHASES, i18n.EVENTS, i18n.STATUSES):
        assert set(table["vi"]) == set(table["en"])
    assert set(i18n.PHASES["vi"]) == {phase.value for phase in Phase}
    assert set(i18n.STATUSES["vi"]) == {code.value for code in StatusCode}
    assert set(i18n.EVENTS["vi"]) == {event.value for event in TrackingEventType}


# --- sessions kept by the node (issue 14, finding 4) ----------------------------------------


def copied(client: httpx.AsyncClient, node: HttpNode) -> httpx.AsyncClient:
    """Another browser holding a copy of `client`'s session cookie."""
    thief = node.client()
    thief.cookies.set("axis_dashboard", client.cookies["axis_dashboard"], path="/dashboard")
    return thief


async def test_a_copied_cookie_stops_working_when_its_session_is_signed_out(
    http_node: HttpNode,
) -> None:
    async with signed_in(http_node, "clerk-g22") as clerk:
        page = await clerk.get("/dashboard/search")
        token = CSRF.search(page.text)
        assert token is not None
        async with copied(clerk, http_node) as thief:
            assert (await thief.get("/dashboard/search")).status_code == 200
            await clerk.post("/dashboard/logout", data={"csrf": token.group(1)})
            ended = await thief.get("/dashboard/search")
            assert (ended.status_code, ended.headers["location"]) == (
                303,
                "/dashboard/login?expired=1",
            )
            assert (await thief.get("/dashboard/login?expired=1")).status_code == 200
            assert (await thief.get("/dashboard/report")).status_code == 303


@pytest.mark.parametrize("change", ["disable", "rotate"])
async def test_disabling_a_client_or_rotating_its_secret_ends_its_sessions(
    http_node: HttpNode, change: str
) -> None:
    await http_node.add_client("clerk-h41", [H41], [Role.CLERK])
    async with signed_in(http_node, "clerk-h41") as clerk, copied(clerk, http_node) as thief:
        assert (await thief.get("/dashboard/search")).status_code == 200
        async with http_node.client("operator") as operator:
            assert (await operator.post(f"/v1/clients/clerk-h41/{change}")).status_code == 200
        for browser in (clerk, thief):
            ended = await browser.get("/dashboard/search")
            assert ended.headers["location"] == "/dashboard/login?expired=1"
    async with http_node.context.node.sessions() as db:
        rows = await db.execute(
            select(dashboard_sessions.dashboard_sessions.c.client_id).where(
                dashboard_sessions.dashboard_sessions.c.client_id == "clerk-h41"
            )
        )
        assert rows.all() == []


async def test_an_idle_session_ends_and_a_session_ends_after_a_working_day(
    http_node: HttpNode,
) -> None:
    table = dashboard_sessions.dashboard_sessions
    idle = http_node.context.settings.dashboard_idle_timeout_value
    for moved in (
        {"seen_at": datetime.now(UTC) - idle},
        {"created_at": datetime.now(UTC) - timedelta(hours=8)},
    ):
        async with signed_in(http_node, "clerk-g22") as clerk:
            assert (await clerk.get("/dashboard/search")).status_code == 200
            async with http_node.context.node.sessions.begin() as db:
                await db.execute(update(table).values(**moved))
            ended = await clerk.get("/dashboard/search")
            assert ended.headers["location"] == "/dashboard/login?expired=1", moved


async def test_the_cookie_holds_only_a_session_id_once_signed_in(http_node: HttpNode) -> None:
    async with signed_in(http_node, "clerk-g22") as clerk:
        raw = clerk.cookies["axis_dashboard"]
        payload = raw.split(".")[0]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert list(data) == ["s"]
        assert "clerk-g22" not in json.dumps(data)
        english = await clerk.get("/dashboard/search", params={"lang": "en"})
        assert "Search" in english.text
        assert "Search" in (await clerk.get("/dashboard/search")).text, "kept in the session"


async def test_failed_sign_ins_are_throttled_with_a_clear_page(http_node: HttpNode) -> None:
    clock = [50.0]
    http_node.context.throttle = AuthThrottle(
        per_address=100, per_client=3, window=600, clock=lambda: clock[0]
    )
    async with http_node.client() as guesser:
        for _ in range(3):
            refused = await sign_in(guesser, http_node, "clerk-g22", secret="not-it-at-all-x")
            assert refused.status_code == 401
        blocked = await sign_in(guesser, http_node, "clerk-g22")  # even the right secret
        assert (blocked.status_code, blocked.headers["retry-after"]) == (429, "600")
        assert "Đăng nhập sai quá nhiều lần. Xin thử lại sau 10 phút." in blocked.text
    async with signed_in(http_node, "operator"):  # another client id from the address
        pass
    clock[0] += 601
    async with signed_in(http_node, "clerk-g22"):
        pass


async def test_certificates_expiring_soon_are_shown_to_operators_and_to_clerks_for_their_codes(
    http_node: HttpNode,
) -> None:
    now = datetime.now(UTC)
    ca = new_authority(
        "CA nearing its end", key_type=KeyType.EC, not_before=now - timedelta(days=300),
        not_after=now + timedelta(days=12),
    )  # fmt: skip
    h41 = issue(ca, H41, key_type=KeyType.EC, not_before=now - timedelta(days=1),
                not_after=now + timedelta(days=3, hours=1))  # fmt: skip
    repository = TrustRepository()
    async with http_node.context.node.sessions.begin() as session:
        await repository.add_authority(session, ca.certificate, actor="test", at=now)
        await repository.authorize(session, H41, h41.certificate, actor="test", at=now)
    serial = serial_hex(h41.certificate.serial_number)
    await http_node.add_client("clerk-h41", [H41], [Role.CLERK])

    async with signed_in(http_node, "operator") as operator:
        page = await operator.get("/dashboard/certificates")
        assert page.status_code == 200
        rows = re.findall(r'<tr data-serial="([0-9a-f]+)" data-code="([^"]*)"', page.text)
        assert rows == [(serial, H41), (serial_hex(ca.certificate.serial_number), "")]
        assert "Chứng thư ký số của đơn vị" in page.text
    async with signed_in(http_node, "clerk-h41") as clerk:
        mine = await clerk.get("/dashboard/certificates")
        assert re.findall(r'<tr data-serial="([0-9a-f]+)"', mine.text) == [serial]
    async with signed_in(http_node, "clerk-g22") as other:
        theirs = await other.get("/dashboard/certificates")
        assert 'data-serial="' not in theirs.text and "Không có mục nào." in theirs.text
