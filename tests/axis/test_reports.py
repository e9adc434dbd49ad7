"""The dashboard's queries (`axis.services.delivery_reports`) on SQLite and PostgreSQL, over
tracking rows written the way the node writes them (`TrackingStore`)."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from axis.migrations.runner import upgrade
from axis.services.delivery_reports import (
    AgencyFigures,
    Search,
    agency_figures,
    failed_deliveries,
    search_messages,
    stuck_deliveries,
)
from axis.store.db import make_engine, session_factory
from envelopes.codes import StatusCode
from envelopes.records import RecordKind, TrackingEvent, TrackingEventType
from routing.lifecycle import Phase
from routing.tracking import MessageInfo, TrackingStore
from tests.support.cli import run_axis

pytestmark = pytest.mark.integration

G22, H41, H53, H39, H99 = (
    "000.00.00.G22",
    "000.00.00.H41",
    "000.00.00.H53",
    "000.00.00.H39",
    "000.00.00.H99",
)
T0 = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


class Writer:
    """Tracking rows as the submission service and the tracker write them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.store = TrackingStore()

    async def message(
        self,
        sender: str,
        document_id: str,
        subject: str,
        *,
        at: datetime = T0,
        kind: RecordKind = RecordKind.DOCUMENT,
    ) -> uuid.UUID:
        message_id = uuid.uuid4()
        await self.store.record_message(
            self.session,
            MessageInfo(
                message_id=message_id, kind=kind, sender_code=sender, document_id=document_id,
                packet_sha256="ab" * 32, submitted_at=at, subject=subject, notation="1/CV",
            ),
        )  # fmt: skip
        return message_id

    async def delivery(
        self,
        message_id: uuid.UUID,
        recipient: str,
        *,
        at: datetime = T0,
        addressed_to: str | None = None,
        failed: str | None = None,
    ) -> None:
        await self.store.record_delivery(
            self.session, message_id, recipient, at=at, addressed_to=addressed_to,
            phase=Phase.FAILED if failed else Phase.QUEUED, error=failed,
        )  # fmt: skip

    async def event(
        self,
        message_id: uuid.UUID,
        recipient: str,
        event: TrackingEventType,
        at: datetime,
        status: StatusCode | None = None,
    ) -> None:
        await self.store.apply(
            self.session,
            TrackingEvent(
                message_id=message_id, recipient_code=recipient, event=event, at=at,
                attempt=1, node_id="node-1", status_code=status,
            ),
        )  # fmt: skip


class Scene:
    """Five documents and a status packet of 1 July 2025, and one document of May.

    m1 G22 -> H41 (acknowledged, 03 after 30 min) and H39 redirected to H53 (delivered, 03
    after 90 min, then 06); m2 H41 -> G22, never delivered (stuck); m3 H53 -> H41
    (acknowledged, 03 after 10 min); m4 G22 -> H99, refused (failed); a status packet of H41
    answering m1; m6 G22 -> H41 in May (outside the period).
    """

    m1 = m2 = m3 = m4 = status = m6 = uuid.UUID(int=0)


@pytest.fixture
async def sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    await upgrade(db_engine)
    return session_factory(db_engine)


@pytest.fixture
async def scene(sessions: async_sessionmaker[AsyncSession]) -> Scene:
    return await write_scene(sessions)


async def write_scene(sessions: async_sessionmaker[AsyncSession]) -> Scene:
    s = Scene()
    ev = TrackingEventType
    async with sessions.begin() as session:
        w = Writer(session)
        s.m1 = await w.message(G22, f"{G22},2025/07/01,1/CV-VPCP", "Báo cáo tình hình KINH TẾ")
        await w.delivery(s.m1, H41)
        await w.delivery(s.m1, H53, addressed_to=H39)
        await w.event(s.m1, H41, ev.ROUTED, T0)
        await w.event(s.m1, H53, ev.REDIRECTED, T0)
        for recipient in (H41, H53):
            await w.event(s.m1, recipient, ev.DELIVERED, minutes(1))
        await w.event(s.m1, H41, ev.FETCHED, minutes(5))
        await w.event(s.m1, H41, ev.ACKNOWLEDGED, minutes(6))
        await w.event(s.m1, H41, ev.STATUS, minutes(30), StatusCode.ACCEPTED)
        await w.event(s.m1, H53, ev.STATUS, minutes(90), StatusCode.ACCEPTED)
        await w.event(s.m1, H53, ev.STATUS, minutes(95), StatusCode.ACCEPTED)  # a repeat
        await w.event(s.m1, H53, ev.STATUS, minutes(120), StatusCode.FINISHED)

        s.m2 = await w.message(H41, f"{H41},2025/07/01,5/GM", "Giấy mời họp 100% thành viên")
        await w.delivery(s.m2, G22)

        s.m3 = await w.message(H53, f"{H53},2025/07/01,9/CV", "Công văn về đất đai")
        await w.delivery(s.m3, H41)
        await w.event(s.m3, H41, ev.DELIVERED, minutes(2))
        await w.event(s.m3, H41, ev.ACKNOWLEDGED, minutes(3))
        await w.event(s.m3, H41, ev.STATUS, minutes(10), StatusCode.ACCEPTED)

        s.m4 = await w.message(G22, f"{G22},2025/07/01,2/CV-VPCP", "Thông báo kết luận")
        await w.delivery(s.m4, H99, failed="REGISTRY_UNKNOWN_CODE: no unit 000.00.00.H99")

        s.status = await w.message(
            H41, f"{G22},2025/07/01,1/CV-VPCP", "", at=minutes(30), kind=RecordKind.STATUS
        )
        await w.delivery(s.status, G22, at=minutes(30))
        await w.event(s.status, G22, ev.DELIVERED, minutes(31))
        await w.event(s.status, G22, ev.ACKNOWLEDGED, minutes(32))

        s.m6 = await w.message(
            G22, f"{G22},2025/05/01,3/CV-VPCP", "Báo cáo tháng 5", at=T0 - 60 * DAY
        )
        await w.delivery(s.m6, H41, at=T0 - 60 * DAY)
    return s


async def found(
    sessions: async_sessionmaker[AsyncSession],
    search: Search,
    codes: frozenset[str] | None = None,
    **paging: int,
) -> list[uuid.UUID]:
    async with sessions() as session:
        page = await search_messages(session, search, codes, **paging)
    return [uuid.UUID(m.message_id) for m in page.items]


async def test_search_by_document_id_exact_or_prefix_documents_only(
    sessions: async_sessionmaker[AsyncSession], scene: Scene
) -> None:
    assert await found(sessions, Search(document_id=f"{G22},2025/07/01,1/CV-VPCP")) == [scene.m1]
    assert set(await found(sessions, Search(document_id=f"{G22},2025/07/01,"))) == {
        scene.m1,
        scene.m4,
    }
    with_status = await found(sessions, Search(document_id=f"{G22},2025/07/01,1/", kind=None))
    assert set(with_status) == {scene.m1, scene.status}
    assert await found(sessions, Search(document_id="000.00.00.G22,2025/07/01,_")) == []


async def test_search_by_subject_ignores_case_in_vietnamese_and_escapes_wildcards(
    sessions: async_sessionmaker[AsyncSession], scene: Scene
) -> None:
    assert await found(sessions, Search(subject="kinh tế")) == [scene.m1]
    assert await found(sessions, Search(subject="BÁO CÁO TÌNH")) == [scene.m1]
    assert await found(sessions, Search(subject="100%")) == [scene.m2]
    assert await found(sessions, Search(subject="0%t")) == []
    assert await found(sessions, Search(subject="báo cáo")) == [scene.m1, scene.m6]


async def test_search_by_sender_and_by_recipient_or_the_code_it_was_addressed_to(
    sessions: async_sessionmaker[AsyncSession], scene: Scene
) -> None:
    assert await found(sessions, Search(sender=H53)) == [scene.m3]
    assert set(await found(sessions, Search(recipient=H41))) == {scene.m1, scene.m3, scene.m6}
    assert await found(sessions, Search(recipient=H39)) == [scene.m1]
    assert await found(sessions, Search(sender=G22, recipient=H99)) == [scene.m4]


async def test_a_reader_sees_what_its_codes_sent_or_received_and_only_its_own_rows(
    sessions: async_sessionmaker[AsyncSession], scene: Scene
) -> None:
    assert set(await found(sessions, Search(), frozenset({H53}))) == {scene.m1, scene.m3}
    assert await found(sessions, Search(), frozenset()) == []
    assert len(await found(sessions, Search(), None)) == 5  # the operator: every document
    async with sessions() as session:
        as_h53 = await search_messages(session, Search(document_id=f"{G22},"), frozenset({H53}))
        as_g22 = await search_messages(session, Search(document_id=f"{G22},"), frozenset({G22}))
    (m1,) = as_h53.items
    assert [(r.recipient_code, r.addressed_to, r.phase, r.status) for r in m1.recipients] == [
        (H53, H39, Phase.DELIVERED, StatusCode.FINISHED)
    ]
    by_id = {uuid.UUID(m.message_id): m for m in as_g22.items}
    assert [r.recipient_code for r in by_id[scene.m1].recipients] == [H41, H53]
    assert by_id[scene.m1].subject == "Báo cáo tình hình KINH TẾ"


async def test_search_pages_newest_first(
    sessions: async_sessionmaker[AsyncSession], scene: Scene
) -> None:
    async with sessions() as session:
        first = await search_messages(session, Search(sender=G22), None, per_page=2)
        second = await search_messages(session, Search(sender=G22), None, page=2, per_page=2)
    assert (len(first.items), first.has_more) == (2, True)
    assert ([uuid.UUID(m.message_id) for m in second.items], second.has_more) == ([scene.m6], False)
    assert first.items[0].submitted_at >= first.items[1].submitted_at > second.items[0].submitted_at


async def test_stuck_deliveries_are_unfinished_and_idle_for_long_by_recipient(
    sessions: async_sessionmaker[AsyncSession], scene: Scene
) -> None:
    now = T0 + 2 * DAY
    async with sessions() as session:
        every = await stuck_deliveries(session, None, older_than=DAY, now=now)
        to_g22 = await stuck_deliveries(session, None, older_than=DAY, now=now, recipient=G22)
        recent = await stuck_deliveries(session, None, older_than=3 * DAY, now=now)
        seen_by_h53 = await stuck_deliveries(session, frozenset({H53}), older_than=DAY, now=now)
        seen_by_h41 = await stuck_deliveries(session, frozenset({H41}), older_than=DAY, now=now)
    # m1's H53 is finished (06), m1's H41 and m3 acknowledged, m4 failed: not stuck.
    assert {(uuid.UUID(d.message_id), d.recipient_code) for d in every} == {
        (scene.m2, G22),
        (scene.m6, H41),
    }
    assert [(uuid.UUID(d.message_id), d.phase) for d in to_g22] == [(scene.m2, Phase.QUEUED)]
    assert [uuid.UUID(d.message_id) for d in recent] == [scene.m6]
    assert seen_by_h53 == []
    assert {uuid.UUID(d.message_id) for d in seen_by_h41} == {scene.m2, scene.m6}
    (stuck,) = to_g22
    assert (stuck.sender_code, stuck.subject, stuck.kind) == (
        H41,
        "Giấy mời họp 100% thành viên",
        RecordKind.DOCUMENT,
    )


async def test_axis_stuck_lists_the_deliveries_the_dashboard_calls_stuck(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'axis.db'}"
    engine = make_engine(url)
    try:
        await upgrade(engine)
        scene = await write_scene(session_factory(engine))
    finally:
        await engine.dispose()
    env = {**os.environ, "AXIS_DATABASE_URL": url, "AXIS_DATA_DIR": str(tmp_path)}
    env.pop("AXIS_CONFIG", None)
    every = await asyncio.to_thread(run_axis, ["stuck", "--hours", "24", "--json"], env)
    to_g22 = await asyncio.to_thread(run_axis, ["stuck", "--recipient", G22, "--json"], env)
    shown = await asyncio.to_thread(run_axis, ["stuck"], env)
    assert every.returncode == 0, every.stderr
    # Stuck since July and May 2025: m1's H53 finished (06), m1's H41 and m3 acknowledged,
    # m4 failed, as on the dashboard.
    assert {(row["message_id"], row["recipient"]) for row in json.loads(every.stdout)} == {
        (str(scene.m2), G22),
        (str(scene.m6), H41),
    }
    assert [(row["message_id"], row["phase"]) for row in json.loads(to_g22.stdout)] == [
        (str(scene.m2), "queued")
    ]
    assert shown.stdout.splitlines()[-1] == "2 stuck deliveries"


async def test_failed_deliveries_by_period_and_recipient(
    sessions: async_sessionmaker[AsyncSession], scene: Scene
) -> None:
    async with sessions() as session:
        day = await failed_deliveries(session, None, since=T0 - DAY, until=T0 + DAY)
        before = await failed_deliveries(session, None, since=T0 - 2 * DAY, until=T0 - DAY)
        other = await failed_deliveries(session, None, since=T0 - DAY, until=T0 + DAY,
                                        recipient=H41)  # fmt: skip
        as_h41 = await failed_deliveries(session, frozenset({H41}), since=T0 - DAY, until=T0 + DAY)
        as_g22 = await failed_deliveries(session, frozenset({G22}), since=T0 - DAY, until=T0 + DAY)
    (failure,) = day
    assert (uuid.UUID(failure.message_id), failure.recipient_code, failure.phase) == (
        scene.m4,
        H99,
        Phase.FAILED,
    )
    assert (failure.last_error or "").startswith("REGISTRY_UNKNOWN_CODE")
    assert (before, other, as_h41) == ([], [], [])
    assert as_g22 == day


async def test_per_agency_figures_with_the_median_time_to_acceptance(
    sessions: async_sessionmaker[AsyncSession], scene: Scene
) -> None:
    async with sessions() as session:
        every = await agency_figures(session, None, since=T0 - DAY, until=T0 + DAY)
        scoped = await agency_figures(
            session, frozenset({H41, "000.00.00.H30"}), since=T0 - DAY, until=T0 + DAY
        )
        may = await agency_figures(session, frozenset({G22}), since=T0 - 61 * DAY, until=T0 - DAY)
    figures = {a.code: a for a in every}
    assert figures[G22] == AgencyFigures(
        G22, sent=2, delivered=2, pending=0, failed=1, median_minutes_to_accepted=60.0,
        received=1, median_minutes_to_accept=None,
    )  # fmt: skip
    assert figures[H41] == AgencyFigures(
        H41, sent=1, delivered=0, pending=1, failed=0, median_minutes_to_accepted=None,
        received=2, median_minutes_to_accept=20.0,
    )  # fmt: skip
    assert figures[H53] == AgencyFigures(
        H53, sent=1, delivered=1, pending=0, failed=0, median_minutes_to_accepted=10.0,
        received=1, median_minutes_to_accept=90.0,
    )  # fmt: skip
    assert (figures[H99].received, figures[H99].sent) == (1, 0)
    assert set(figures) == {G22, H41, H53, H99}  # the status packet is no document
    assert scoped == [AgencyFigures("000.00.00.H30"), figures[H41]]
    assert may == [AgencyFigures(G22, sent=1, pending=1)]
