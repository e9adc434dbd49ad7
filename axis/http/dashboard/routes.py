"""The dashboard's pages under `/dashboard`: sign-in, search, a document's timelines, stuck and
failed deliveries, and the per-agency report.

Query parameters are read leniently (a bad number or date falls back to its default with a note)
because a clerk typed them; the JSON validation errors of `/v1` would mean nothing here. What a
reader sees is scoped in the queries (`axis.services.delivery_reports`) and, for one message, by
`visible_part`, the rule of the `/v1/tracking` API.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from axis.http import throttle
from axis.http.auth import remote_address
from axis.http.dashboard.views import HERE, HOME, LOCAL, LOGIN, Viewer, Visit
from axis.http.tls import peer_certificate
from axis.services import delivery_reports
from axis.services.certificate_expiry import expiring
from axis.services.tracking import message_view

router = APIRouter(prefix="/dashboard", include_in_schema=False)

CSS = (HERE / "static" / "dashboard.css").read_bytes()
MAX_TEXT = 200
PER_PAGE = 25
DEFAULT_DAYS = 30
DEFAULT_HOURS = 24


@router.get("")
@router.get("/")
async def home(request: Request) -> Response:
    return (await Visit.start(request)).redirect(HOME)


@router.get("/static/dashboard.css")
async def stylesheet() -> Response:
    return Response(
        CSS,
        media_type="text/css",
        headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/login")
async def login_form(request: Request) -> Response:
    visit = await Visit.start(request)
    notice = visit.labels["login_expired"] if request.query_params.get("expired") else ""
    return visit.page(
        "login.html", next=_next(request.query_params.get("next")), error="", notice=notice,
        client_id="",
    )  # fmt: skip


@router.post("/login")
async def login(request: Request) -> Response:
    """Sign in with a client's id and secret. Failures are counted against the address and the
    client id (`axis.http.throttle`); past the limit the form answers 429 without checking."""
    visit = await Visit.start(request)
    form = await request.form()
    client_id = _text(form.get("client_id"))
    secret = form.get("secret")
    target = _next(_text(form.get("next"), 1000))

    def again(status: int, error: str, headers: dict[str, str] | None = None) -> Response:
        return visit.page("login.html", status=status, headers=headers, next=target, error=error,
                          notice="", client_id=client_id)  # fmt: skip

    if not visit.session.form_ok(form.get("csrf")):
        return again(400, visit.labels["csrf_failed"])
    keys = [throttle.address(remote_address(request))]
    if client_id:
        keys.append(throttle.client(client_id))
    wait = visit.context.throttle.retry_after(keys)
    if wait is not None:
        minutes = str(math.ceil(wait / 60))
        text = visit.labels["login_throttled"].format(minutes=minutes)
        return again(429, text, {"Retry-After": str(wait)})
    client = None
    if client_id and isinstance(secret, str) and secret:
        client = await visit.context.services.callers.login(client_id, secret)
    if client is None:
        visit.context.throttle.failed(keys)
        return again(401, visit.labels["login_failed"])
    if not client.accepts(peer_certificate(request.scope)):
        visit.context.throttle.failed(keys)
        return again(401, visit.labels["login_certificate"])
    await visit.begin(client.client_id)
    return visit.redirect(target)


@router.post("/logout")
async def logout(request: Request) -> Response:
    visit = await Visit.start(request)
    form = await request.form()
    if visit.session.form_ok(form.get("csrf")):
        await visit.end()
    return visit.redirect(LOGIN)


@router.get("/search")
async def search(request: Request) -> Response:
    visit = await Visit.start(request)
    viewer = await visit.sign_in()
    if not isinstance(viewer, Viewer):
        return viewer
    params = request.query_params
    criteria = delivery_reports.Search(
        document_id=_text(params.get("document_id")),
        subject=_text(params.get("subject")),
        sender=_text(params.get("sender")),
        recipient=_text(params.get("recipient")),
    )
    page, bad = _number(params.get("page"), 1, 1, 10_000)
    found = await visit.context.services.reports.search(
        criteria, viewer.codes, page=page, per_page=PER_PAGE
    )
    return visit.page(
        "search.html", nav="search", criteria=criteria, found=found, invalid=bad,
        prev_url=_page_url(request, page - 1) if page > 1 else "",
        next_url=_page_url(request, page + 1) if found.has_more else "",
    )  # fmt: skip


@router.get("/messages/{message_id}")
async def message(request: Request, message_id: str) -> Response:
    visit = await Visit.start(request)
    viewer = await visit.sign_in()
    if not isinstance(viewer, Viewer):
        return viewer
    try:
        key: uuid.UUID | None = uuid.UUID(message_id)
    except ValueError:
        key = None
    seen = None
    if key is not None:
        seen = await message_view(visit.context.node.sessions, key, viewer.principal)
    if seen is None:
        labels = visit.labels
        return visit.page("error.html", status=404, nav="search", title=labels["not_found"],
                          text=labels["not_found_text"])  # fmt: skip
    info, report = seen
    return visit.page("message.html", nav="search", report=report, info=info)


@router.get("/stuck")
async def stuck(request: Request) -> Response:
    visit = await Visit.start(request)
    viewer = await visit.sign_in()
    if not isinstance(viewer, Viewer):
        return viewer
    recipient = _text(request.query_params.get("recipient"))
    hours, bad = _number(request.query_params.get("hours"), DEFAULT_HOURS, 1, 24 * 366)
    now = datetime.now(UTC)
    rows = await visit.context.services.reports.stuck(
        viewer.codes, older_than=timedelta(hours=hours), now=now, recipient=recipient
    )
    return visit.page(
        "deliveries.html", nav="stuck", rows=rows, recipient=recipient, hours=hours,
        invalid=bad, period=None, now=now, title=visit.labels["stuck_title"],
    )  # fmt: skip


@router.get("/failed")
async def failed(request: Request) -> Response:
    visit = await Visit.start(request)
    viewer = await visit.sign_in()
    if not isinstance(viewer, Viewer):
        return viewer
    recipient = _text(request.query_params.get("recipient"))
    period = Period.of(request)
    rows = await visit.context.services.reports.failed(
        viewer.codes, since=period.since, until=period.until, recipient=recipient
    )
    return visit.page(
        "deliveries.html", nav="failed", rows=rows, recipient=recipient, hours=None,
        invalid=period.invalid, period=period, now=datetime.now(UTC),
        title=visit.labels["failed_title"],
    )  # fmt: skip


@router.get("/report")
async def report(request: Request) -> Response:
    visit = await Visit.start(request)
    viewer = await visit.sign_in()
    if not isinstance(viewer, Viewer):
        return viewer
    period = Period.of(request)
    figures = await visit.context.services.reports.figures(
        viewer.codes, since=period.since, until=period.until
    )
    return visit.page(
        "report.html", nav="report", figures=figures, period=period, invalid=period.invalid
    )


@router.get("/certificates")
async def certificates(request: Request) -> Response:
    """Trust-store certificates expiring within the warning period or expired: an operator sees
    them all, a clerk those authorized for their codes."""
    visit = await Visit.start(request)
    viewer = await visit.sign_in()
    if not isinstance(viewer, Viewer):
        return viewer
    now = datetime.now(UTC)
    days = visit.context.settings.certificate_warning_days
    found = await expiring(
        visit.context.node.sessions, within=timedelta(days=days), now=now, codes=viewer.codes
    )
    return visit.page("certificates.html", nav="certificates", found=found, now=now, days=days)


@dataclass(frozen=True, slots=True)
class Period:
    """Days in Vietnam's time, both included (`from`, `to` in the query: YYYY-MM-DD)."""

    first: date
    last: date
    invalid: bool

    @classmethod
    def of(cls, request: Request) -> Period:
        today = datetime.now(LOCAL).date()
        last, bad_last = _day(request.query_params.get("to"), today)
        first, bad_first = _day(request.query_params.get("from"), last - timedelta(DEFAULT_DAYS))
        if first > last:
            first, last = last, first
        return cls(first, last, bad_first or bad_last)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(0), LOCAL)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), LOCAL)


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    """A form or query field as typed, trimmed; '' for none (or a file)."""
    return value.strip()[:limit] if isinstance(value, str) else ""


def _number(value: str | None, default: int, low: int, high: int) -> tuple[int, bool]:
    """An integer field within [low, high]: the number, and whether the default replaced it."""
    if value is None or not value.strip():
        return default, False
    try:
        number = int(value)
    except ValueError:
        return default, True
    return (number, False) if low <= number <= high else (default, True)


def _day(value: str | None, default: date) -> tuple[date, bool]:
    if value is None or not value.strip():
        return default, False
    try:
        return date.fromisoformat(value.strip()), False
    except ValueError:
        return default, True


def _next(value: str | None) -> str:
    """Where to go after sign-in: a dashboard page only (never another site)."""
    if value and value.startswith("/dashboard/") and "\\" not in value and "//" not in value:
        return value
    return HOME


def _page_url(request: Request, page: int) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    params.append(("page", str(page)))
    return f"{request.url.path}?{urlencode(params)}"
