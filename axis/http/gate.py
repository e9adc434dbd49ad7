"""The front door of submissions: at most `limit` of them in progress in a process.

A submission costs the node milliseconds of CPU (reading the body, authenticating, verifying),
so offered faster than the node accepts them, requests would queue before anything refuses
them: answers take seconds, then longer than clients wait, and clients send again. Past the
limit, `POST /v1/packets` answers `503 NODE_BUSY` and the SDK's `sendEdoc` a `FAIL` 503, both
with `Retry-After`, at once and before the body is read: nothing was recorded, the same bytes
may be sent again. The limit is per process (`axis serve` runs one per core).
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from axis.http import compat
from axis.http.errors import ApiError, error_response
from routing.submission import BUSY_RETRY_SECONDS, busy

LIMIT = 128
"""Submissions in progress per process: about a second of work at the rate one process
accepts; past it a submission would wait longer than it is worth."""


class SubmissionGate:
    """ASGI middleware counting the submissions in progress (see the module)."""

    def __init__(self, app: ASGIApp, *, compat_prefix: str, limit: int = LIMIT) -> None:
        self.app = app
        self.limit = limit
        self.in_progress = 0
        self._sdk = f"{compat_prefix}/sendEdoc"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = self._kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.limit:
            await _busy_reply(kind)(scope, receive, send)
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1

    def _kind(self, scope: Scope) -> str | None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        path = re.sub("/+", "/", scope["path"])
        if path == "/v1/packets":
            return "v1"
        if path == self._sdk:
            return "sdk"
        return None


def _busy_reply(kind: str) -> ASGIApp:
    refused = busy()
    retry = {"Retry-After": str(BUSY_RETRY_SECONDS)}
    if kind == "v1":
        return error_response(ApiError(503, refused.code, refused.message, headers=retry))
    failure = compat.Failure("503", f"{refused.code}: {refused.message}", retry)
    return compat.failure_reply(failure, {"DocId": ""})
