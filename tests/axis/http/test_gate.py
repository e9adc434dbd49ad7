"""The front door of submissions: past its limit a process answers busy at once (the /v1 error
shape, or the SDK's FAIL), before reading the body; other routes pass."""

from __future__ import annotations

import asyncio
import json

import httpx
from starlette.types import Receive, Scope, Send

from axis.http.gate import SubmissionGate


class Held:
    """An app that answers 202 once `release` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.entered += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def test_past_the_limit_submissions_are_answered_busy_at_once() -> None:
    held = Held()
    gate = SubmissionGate(held, compat_prefix="/vxp", limit=1)
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        first = asyncio.create_task(client.post("/v1/packets", content=b"<edXML/>"))
        while held.entered == 0:  # noqa: ASYNC110 - waits for the first to be in progress
            await asyncio.sleep(0.01)
        busy = await client.post("/v1/packets", content=b"<edXML/>")
        sdk = await client.post("/vxp//sendEdoc", content=b"<edXML/>")
        other = asyncio.create_task(client.get("/v1/inbox"))
        await asyncio.sleep(0.05)
        assert held.entered == 2  # a route other than a submission is not counted
        held.release.set()
        assert (await first).status_code == 202
        assert (await other).status_code == 202
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert busy.json()["error"]["code"] == "NODE_BUSY"
    reply = json.loads(sdk.content)
    assert (reply["status"], reply["ErrorCode"]) == ("FAIL", "503")
    assert reply["ErrorDesc"].startswith("NODE_BUSY") and sdk.headers["Retry-After"] == "1"
    assert gate.in_progress == 0  # every submission that went in came out


async def test_while_the_node_says_it_is_saturated_every_submission_is_answered_busy() -> None:
    held = Held()
    held.release.set()
    saturated = [True]
    gate = SubmissionGate(held, compat_prefix="/vxp", saturated=lambda: saturated[0])
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        busy = await client.post("/v1/packets", content=b"<edXML/>")
        sdk = await client.post("/vxp/sendEdoc", content=b"<edXML/>")
        other = await client.get("/v1/inbox")
        saturated[0] = False
        accepted = await client.post("/v1/packets", content=b"<edXML/>")
    assert busy.status_code == 503 and busy.json()["error"]["code"] == "NODE_BUSY"
    assert json.loads(sdk.content)["ErrorCode"] == "503"
    assert other.status_code == 202 and accepted.status_code == 202
    assert held.entered == 2  # neither refused submission reached the app
