"""The dashboard's cookie: a random session id once signed in; before that, the sign-in form's
token and the language.

Who is signed in, since when and the form token of a signed-in session are kept by the node
(`axis.store.dashboard_sessions`), so signing out, disabling the client or rotating its secret ends
the session wherever its cookie was copied, and an idle or day-old session ends by itself. The
cookie is signed (HMAC, itsdangerous) with the node's secret key, so an id cannot be made up; it
is scoped to `/dashboard`, `HttpOnly` (no script reads it), `SameSite=Lax` (not sent with another
site's POST) and `Secure` when the page was served over HTTPS.

Forms carry a random token (`csrf`), checked on every POST: a page of another site cannot read
it, so it cannot post as the clerk. Signing in issues a new token with the new session, so a
token planted before sign-in is worthless after it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from axis.http.dashboard.i18n import DEFAULT, Lang, language
from axis.store.dashboard_sessions import MAX_AGE, new_token

COOKIE = "axis_dashboard"
PATH = "/dashboard"
COOKIE_AGE = int(MAX_AGE.total_seconds())
_SALT = "axis.dashboard.session"


@dataclass(frozen=True, slots=True)
class Session:
    """What a request's session holds: the signed-in client (None: nobody) with its session id,
    the form token and the language."""

    client_id: str | None = None
    session_id: str | None = None
    csrf: str = field(default_factory=new_token)
    lang: Lang = DEFAULT

    def signed_out(self) -> Session:
        return Session(lang=self.lang)

    def with_lang(self, lang: Lang) -> Session:
        return replace(self, lang=lang)

    def form_ok(self, token: object) -> bool:
        """Whether a POSTed form carries this session's token."""
        return isinstance(token, str) and hmac.compare_digest(token, self.csrf)


@dataclass(frozen=True, slots=True)
class Cookie:
    """The cookie as read: a session id (signed in), or a visitor's form token and language."""

    session_id: str | None = None
    csrf: str | None = None
    lang: Lang | None = None


class SessionCodec:
    """Reads and writes the session cookie, signed with the node's key."""

    def __init__(self, secret: bytes) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)

    def read(self, request: Request) -> Cookie | None:
        """The request's cookie; None when it has none, or a forged or expired one."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data: Any = self._serializer.loads(raw, max_age=COOKIE_AGE)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict):
            return None
        session_id, csrf = data.get("s"), data.get("x")
        if isinstance(session_id, str):
            return Cookie(session_id=session_id)
        if isinstance(csrf, str):
            return Cookie(csrf=csrf, lang=language(data.get("l")) or DEFAULT)
        return None

    def write(self, request: Request, response: Response, session: Session) -> None:
        """A signed-in session's cookie holds its id only; a visitor's, the form token and
        the language."""
        content = (
            {"s": session.session_id}
            if session.session_id is not None
            else {"x": session.csrf, "l": session.lang}
        )
        response.set_cookie(
            COOKIE, self._serializer.dumps(content), max_age=COOKIE_AGE, path=PATH,
            httponly=True, samesite="lax", secure=request.url.scheme == "https",
        )  # fmt: skip
