"""The front door of submissions: at most `limit` of them in progress in a process.

A submission costs the node milliseconds of CPU (reading the body, authenticating, verifying),
so offered faster than the node accepts them, requests would queue before anything refuses
them: answers take seconds, then longer than clients wait, and clients send again. Past the
limit, `POST /v1/packets` answers `503 NODE_BUSY` and the SDK's `sendEdoc` a `FAIL` 503, both
with `Retry-After`, at once and before the body is read: nothing was recorded, the same bytes
may be sent again. The limit is per process (`axis serve` runs one per core). The same answer
goes to every submission while the node says it is saturated (its delivery worker too far
behind: `routing.backlog`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from axis.http import compat
from axis.http.errors import ApiError, error_response
from routing.outcomes import BUSY_RETRY_SECONDS, busy

LIMIT = 32
"""Submissions in progress per process (`AXIS_SUBMISSION_LIMIT`): a few tenths of a second of
work at the rate one process accepts, enough to fill its batches. Measured with B1 at 500
offered/s on two cores (PostgreSQL): with 128, accepted answers took 4.6 s (p99) and refusals
3.6 s, since every request waited behind the work in progress on a saturated event loop; with
32, 0.7 s and 64 ms."""


class SubmissionGate:
    """ASGI middleware counting the submissions in progress (see the module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        compat_prefix: str,
        limit: int = LIMIT,
        saturated: Callable[[], bool] = lambda: False,
    ) -> None:
        self.app = app
        self.limit = limit
        self.saturated = saturated
        """The node says it is saturated (`SubmissionService.saturated`): refuse at once too."""
        self.in_progress = 0
        self._sdk = f"{compat_prefix}/sendEdoc"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = self._kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.limit or self.saturated():
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
