"""Every HTTP exchange gets a request id: the caller's `X-Request-ID` when it is a short
printable one, else a new one. It is bound into every log line written while the request is
handled (`axis.logs`), kept in `request.state.request_id` (the audit log records it) and sent
back in the answer's `X-Request-ID`, refusals at the submission gate included.

A plain ASGI middleware: Starlette's `BaseHTTPMiddleware` (what `@app.middleware("http")`
makes) runs each request in a task group and copies the answer through a memory stream, which
showed in the profile of every submission.
"""

from __future__ import annotations

import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
_NAME = HEADER.lower().encode("latin-1")
MAX_LENGTH = 64


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = chosen(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        raw = request_id.encode("latin-1")

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != _NAME]
                message = {**message, "headers": [*headers, (_NAME, raw)]}
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self.app(scope, receive, answer)


def chosen(scope: Scope) -> str:
    """The caller's request id when it is usable, else a new one."""
    for name, value in scope.get("headers", ()):
        if name.lower() == _NAME:
            given: str = value.decode("latin-1")
            if 0 < len(given) <= MAX_LENGTH and given.isprintable():
                return given
            break
    return uuid.uuid4().hex
