"""Every answer carries a request id: the caller's when it is short and printable, else a new
one; handlers see it in `request.state` and in every log line; the gate's refusals carry it."""

from __future__ import annotations

import re

import httpx
import structlog
from starlette.types import Receive, Scope, Send

from axis.http.gate import SubmissionGate
from axis.http.request_ids import RequestIds


class Seen:
    """An app that answers 200 and notes the id it saw in its state and in the log context."""

    def __init__(self) -> None:
        self.state: list[str] = []
        self.logged: list[object] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.state.append(scope["state"]["request_id"])
        self.logged.append(structlog.contextvars.get_contextvars().get("request_id"))
        headers = [(b"x-request-id", b"from-the-app"), (b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})


async def get(app: RequestIds, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        return await client.get("/v1/inbox", headers=headers)


async def test_the_callers_request_id_is_kept_seen_and_logged() -> None:
    seen = Seen()
    answer = await get(RequestIds(seen), {"X-Request-ID": "dms-42"})
    assert answer.headers.get_list("X-Request-ID") == ["dms-42"]  # one, the caller's
    assert seen.state == ["dms-42"] and seen.logged == ["dms-42"]
    assert structlog.contextvars.get_contextvars().get("request_id") is None  # unbound after


async def test_an_unusable_request_id_is_replaced_by_a_new_one() -> None:
    for given in ("x" * 65, "bad\x01id", ""):
        seen = Seen()
        answer = await get(RequestIds(seen), {"X-Request-ID": given} if given else {})
        [request_id] = answer.headers.get_list("X-Request-ID")
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
        assert seen.state == [request_id]


async def test_a_refusal_at_the_submission_gate_carries_the_request_id() -> None:
    gate = SubmissionGate(Seen(), compat_prefix="/vxp", saturated=lambda: True)
    transport = httpx.ASGITransport(app=RequestIds(gate))
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        answer = await client.post("/v1/packets", content=b"<edXML/>",
                                   headers={"X-Request-ID": "dms-7"})  # fmt: skip
    assert answer.status_code == 503 and answer.headers["X-Request-ID"] == "dms-7"
