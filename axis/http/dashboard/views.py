"""Rendering the dashboard's pages: the Jinja2 environment, times in Vietnam's time, and one
`Visit` per request that carries the session, the signed-in client and the answer's headers.

Every template is autoescaped (`autoescape=True` for every file, not only `.html` by name), so
a subject or an error text from a packet cannot inject markup; `StrictUndefined` makes a
missing label an error in tests instead of an empty cell. Pages load no script and nothing from
another origin, which the Content-Security-Policy states so the browser enforces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from axis.http.context import AppContext, app_context
from axis.http.dashboard import i18n
from axis.http.dashboard.session import Session, SessionCodec
from axis.http.tls import peer_certificate
from axis.store.credentials import Principal, Role

HERE = Path(__file__).parent
LOCAL = timezone(timedelta(hours=7), "UTC+7")
"""Vietnam's time, which clerks read (the database keeps UTC)."""
HOME = "/dashboard/search"
LOGIN = "/dashboard/login"

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""On every page: no script, no frame, nothing cached (pages show who received what)."""

environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def as_datetime(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(value: datetime | str) -> str:
    """The instant in UTC, ISO 8601 (the title of every shown time)."""
    return as_datetime(value).astimezone(UTC).isoformat(timespec="seconds")


def local_time(value: datetime | str, lang: i18n.Lang) -> str:
    """The instant in Vietnam's time, as each language writes dates."""
    moment = as_datetime(value).astimezone(LOCAL)
    return moment.strftime("%d/%m/%Y %H:%M:%S" if lang == "vi" else "%Y-%m-%d %H:%M:%S")


@lru_cache(maxsize=4)
def _codec(key: bytes) -> SessionCodec:
    return SessionCodec(key)


@dataclass(frozen=True, slots=True)
class Viewer:
    """A signed-in clerk or operator; `codes` None: an operator, who sees every agency."""

    principal: Principal
    codes: frozenset[str] | None

    @property
    def client_id(self) -> str:
        return self.principal.client_id


class Visit:
    """One request to the dashboard: its session (the cookie written back when it changed), its
    language (`?lang=` switches it and is remembered) and the pages it answers with. Made by
    `await Visit.start(request)`, which looks the signed-in session up in the node's table."""

    def __init__(
        self, request: Request, context: AppContext, session: Session, *, changed: bool,
        ended: bool,
    ) -> None:  # fmt: skip
        self.request = request
        self.context = context
        self._codec = _codec(context.node.secret_key)
        self.session = session
        self._changed = changed
        self._ended = ended
        """The cookie named a session that has ended (signed out elsewhere, expired)."""
        self.viewer: Viewer | None = None

    @classmethod
    async def start(cls, request: Request) -> Visit:
        context = app_context(request)
        cookie = _codec(context.node.secret_key).read(request)
        session, changed, ended = Session(), True, False
        if cookie is not None and cookie.session_id is not None:
            stored = await context.services.sign_ins.current(cookie.session_id)
            if stored is None:
                ended = True
            else:
                session = Session(
                    client_id=stored.client_id, session_id=cookie.session_id, csrf=stored.csrf,
                    lang=i18n.language(stored.lang) or i18n.DEFAULT,
                )  # fmt: skip
                changed = False
        elif cookie is not None and cookie.csrf is not None:
            session, changed = Session(csrf=cookie.csrf, lang=cookie.lang or i18n.DEFAULT), False
        visit = cls(request, context, session, changed=changed, ended=ended)
        asked = i18n.language(request.query_params.get("lang"))
        if asked is not None and asked != session.lang:
            await visit.switch_lang(asked)
        return visit

    @property
    def lang(self) -> i18n.Lang:
        return self.session.lang

    def update(self, session: Session) -> None:
        self.session = session
        self._changed = True

    async def switch_lang(self, lang: i18n.Lang) -> None:
        """Remember `lang`: in the session's row when signed in, else in the cookie."""
        if self.session.session_id is not None:
            await self.context.services.sign_ins.set_lang(self.session.session_id, lang)
            self.session = self.session.with_lang(lang)
        else:
            self.update(self.session.with_lang(lang))

    async def begin(self, client_id: str) -> None:
        """Sign `client_id` in: a new session (ending the one this browser had)."""
        session_id, stored = await self.context.services.sign_ins.start(
            client_id, lang=self.lang, replacing=self.session.session_id
        )
        self.update(Session(client_id, session_id, stored.csrf, self.lang))

    async def end(self) -> None:
        """Sign out: the session ends for every copy of its cookie."""
        if self.session.session_id is not None:
            await self.context.services.sign_ins.end(self.session.session_id)
        self.update(self.session.signed_out())

    async def sign_in(self) -> Viewer | Response:
        """The signed-in clerk or operator; else the answer to give: the sign-in page (not
        signed in, or the session ended: signed out, expired, its client disabled, its secret
        rotated, or bound to a certificate this connection did not present) or 403 (signed in
        without either role)."""
        client_id = self.session.client_id
        if client_id is None:
            if self._ended:
                return self.redirect(f"{LOGIN}?expired=1")
            return self.redirect(f"{LOGIN}?{urlencode({'next': self._here()})}")
        client = await self.context.services.callers.get(client_id)
        certificate = peer_certificate(self.request.scope)
        if client is None or not client.enabled or not client.accepts(certificate):
            await self.end()
            return self.redirect(f"{LOGIN}?expired=1")
        principal = client.principal
        if not (principal.has(Role.CLERK) or principal.has(Role.OPERATOR)):
            self.viewer = Viewer(principal, frozenset())
            return self.page("error.html", status=403, title=self.labels["forbidden"],
                             text=self.labels["forbidden_text"])  # fmt: skip
        codes = None if principal.has(Role.OPERATOR) else frozenset(principal.codes)
        self.viewer = Viewer(principal, codes)
        return self.viewer

    @property
    def labels(self) -> dict[str, str]:
        return dict(i18n.labels(self.lang))

    def page(
        self,
        template: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **values: Any,
    ) -> Response:
        html = environment.get_template(template).render(**self._common(), **values)
        return self.finish(HTMLResponse(html, status_code=status, headers=headers))

    def redirect(self, url: str) -> Response:
        return self.finish(RedirectResponse(url, status_code=303))

    def finish(self, response: Response) -> Response:
        if self._changed:
            self._codec.write(self.request, response, self.session)
        response.headers.update(HEADERS)
        return response

    def org_name(self, code: str) -> str:
        """The unit's name in the registry (its latest state), or '' when unknown."""
        unit = self.context.node.registry.registry.get(code)
        return unit.name if unit is not None else ""

    def _here(self, **changed: str) -> str:
        """This page's path and query (relative: the node may be behind a proxy), with
        `changed` parameters replaced."""
        params = [(k, v) for k, v in self.request.query_params.multi_items() if k not in changed]
        params.extend(changed.items())
        query = urlencode(params)
        return self.request.url.path + (f"?{query}" if query else "")

    def _common(self) -> dict[str, Any]:
        lang = self.lang
        return {
            "t": i18n.labels(lang),
            "lang": lang,
            "viewer": self.viewer,
            "csrf": self.session.csrf,
            "lang_urls": {k: self._here(lang=k) for k in i18n.LANGS},
            "phase": lambda value: i18n.phase(lang, value),
            "event": lambda value: i18n.event(lang, value),
            "status": lambda value: i18n.status(lang, value),
            "local": lambda value: local_time(value, lang),
            "iso": iso,
            "org": self.org_name,
        }
