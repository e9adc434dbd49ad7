"""The dashboard's session: one signed cookie holding who is signed in, the form token and the
language.

Signed (HMAC, itsdangerous) with the node's secret key, so it cannot be forged, and
time-limited; it holds nothing secret (a client id, a random token, a language), so it need not
be encrypted. It is scoped to `/dashboard`, `HttpOnly` (no script reads it), `SameSite=Lax`
(not sent with another site's POST) and `Secure` when the page was served over HTTPS.

Forms carry the session's random token (`csrf`), checked on every POST: a page of another
site cannot read it, so it cannot post as the clerk. Signing in issues a new token, so a token
planted before sign-in is worthless after it.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from axis.http.dashboard.i18n import DEFAULT, Lang, language

COOKIE = "axis_dashboard"
PATH = "/dashboard"
MAX_AGE = 8 * 3600
"""A working day: after it, sign in again."""
_SALT = "axis.dashboard.session"


def _token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Session:
    client_id: str | None = None
    signed_in_at: float = 0.0
    """When the client signed in (Unix time): a secret rotated since ends the session."""
    csrf: str = field(default_factory=_token)
    lang: Lang = DEFAULT

    def signed_in(self, client_id: str) -> Session:
        return Session(client_id=client_id, signed_in_at=time.time(), lang=self.lang)

    def signed_out(self) -> Session:
        return Session(lang=self.lang)

    def with_lang(self, lang: Lang) -> Session:
        return replace(self, lang=lang)

    def form_ok(self, token: object) -> bool:
        """Whether a POSTed form carries this session's token."""
        return isinstance(token, str) and hmac.compare_digest(token, self.csrf)


class SessionCodec:
    """Reads and writes the session cookie, signed with the node's key."""

    def __init__(self, secret: bytes) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)

    def read(self, request: Request) -> Session | None:
        """The request's session; None when it has none, or a forged or expired one."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data: Any = self._serializer.loads(raw, max_age=MAX_AGE)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict):
            return None
        client_id, at, csrf = data.get("c"), data.get("t"), data.get("x")
        if not isinstance(csrf, str) or not isinstance(at, int | float):
            return None
        return Session(
            client_id=client_id if isinstance(client_id, str) else None,
            signed_in_at=float(at),
            csrf=csrf,
            lang=language(data.get("l")) or DEFAULT,
        )

    def write(self, request: Request, response: Response, session: Session) -> None:
        value = self._serializer.dumps(
            {"c": session.client_id, "t": session.signed_in_at, "x": session.csrf,
             "l": session.lang}
        )  # fmt: skip
        response.set_cookie(
            COOKIE, value, max_age=MAX_AGE, path=PATH, httponly=True, samesite="lax",
            secure=request.url.scheme == "https",
        )  # fmt: skip
