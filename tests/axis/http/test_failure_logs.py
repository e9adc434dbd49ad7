"""A request that fails inside the node: the caller gets a 500 with an error id, and the log
(both formats, every logger: ours, uvicorn's, the libraries') holds that id, a plain traceback
and neither the caller's secret, nor the packet's bytes, nor any frame's local variables."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest
import structlog

from axis.logs import configure_logging
from axis.store.credentials import Role
from tests.axis.http.conftest import HttpNode
from tests.support.packets import document
from tests.support.running_node import G22, H41, signed

pytestmark = pytest.mark.integration

KNOWN_SECRET = "Known-Secret-for-the-log-test-7f3a9c"
MARKER = "UNIQUE-SUBJECT-MARKER-41c8"


@pytest.fixture(params=["console", "json"])
def captured(request: pytest.FixtureRequest) -> Iterator[tuple[str, io.StringIO]]:
    stream = io.StringIO()
    fmt: Literal["console", "json"] = request.param
    configure_logging(fmt=fmt, stream=stream)
    try:
        yield fmt, stream
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()


async def _boom(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("the database went away")


async def test_a_failing_request_logs_its_error_id_and_no_secret_bytes_or_locals(
    served: HttpNode, captured: tuple[str, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    fmt, stream = captured
    await served.add_client("logged", [G22], [Role.AGENCY], secret=KNOWN_SECRET)
    data = signed(document(G22, [H41], 77, subject=MARKER), served.running.pki, G22)

    # Fails where the frames hold the packet's bytes (submission) and the secret (auth).
    monkeypatch.setattr(served.context.node.verifier, "verify", _boom_sync)
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {KNOWN_SECRET}"}
        sent = await client.post("/v1/packets", content=data, headers=headers)
        monkeypatch.setattr(served.context.services.clients, "by_secret", _boom)
        authed = await client.get("/v1/inbox", headers=headers)

    ids = []
    for reply in (sent, authed):
        assert reply.status_code == 500, reply.text
        error = reply.json()["error"]
        assert error["code"] == "INTERNAL_ERROR"
        assert error["error_id"] == reply.headers["X-Axis-Error-Id"]
        assert error["error_id"] in error["message"]
        ids.append(error["error_id"])

    log = stream.getvalue()
    assert KNOWN_SECRET not in log
    assert MARKER not in log and "edXMLEnvelope" not in log
    assert "RuntimeError" in log and "the database went away" in log  # the traceback is there
    for error_id in ids:
        lines = [line for line in log.splitlines() if error_id in line]
        assert lines, f"no log line carries error id {error_id}"
    # A plain traceback: no rendering of local variables (rich's "locals" panels).
    assert "locals" not in log.lower()
    assert "credentials=" not in log and "data = b" not in log
    if fmt == "json":
        records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        failed = [r for r in records if r.get("error_id") in ids]
        assert len(failed) == 2
        assert all("Traceback" in r["exception"] for r in failed)


def _boom_sync(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("the database went away")
