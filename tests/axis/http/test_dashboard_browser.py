"""The dashboard in a real browser: Debian's headless Chromium, driven by Playwright
(`tests/browser/dashboard.mjs`), against the node served on a loopback port. It signs in as a
clerk, searches, opens a document sent to two recipients and saves a screenshot of their
timelines (tests/browser/output/dashboard-document.png).

Needs `chromium` (Debian) and `npm ci --prefix tests/browser`, both done by
scripts/install-prereqs; without them this test fails saying so, it never skips.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.axis.http.conftest import HttpNode
from tests.axis.http.test_dashboard import SUBJECT, answered_document
from tests.support.running_node import G22, H39, H41, H53

pytestmark = pytest.mark.integration

BROWSER_DIR = Path(__file__).resolve().parents[2] / "browser"
SCRIPT = BROWSER_DIR / "dashboard.mjs"
OUTPUT = BROWSER_DIR / "output"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SETUP = "run scripts/install-prereqs (apt-get install chromium; npm ci --prefix tests/browser)"


def prerequisites() -> str:
    """The node binary; fails the test, naming the setup command, when anything is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"Node.js is not installed: install nodejs, then {SETUP}")
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: {SETUP}")
    if not (BROWSER_DIR / "node_modules" / "playwright-core" / "package.json").is_file():
        pytest.fail(f"playwright-core is not installed in {BROWSER_DIR}: {SETUP}")
    return node


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG (its IHDR chunk), after checking the signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_a_clerk_reads_two_recipients_timelines_in_chromium(served: HttpNode) -> None:
    node = prerequisites()
    result = await answered_document(served, 5)
    OUTPUT.mkdir(exist_ok=True)
    screenshot = OUTPUT / "dashboard-document.png"
    screenshot.unlink(missing_ok=True)
    errors = OUTPUT / "dashboard.stderr.txt"
    env = {
        **os.environ,
        "AXIS_URL": served.base_url,
        "AXIS_CLIENT": "clerk-g22",
        "AXIS_SECRET": served.secrets["clerk-g22"],
        "AXIS_DOCUMENT_ID": result.document_id,
        "AXIS_SUBJECT": "trục liên thông",
        "AXIS_SCREENSHOT": str(screenshot),
        "CHROMIUM": str(CHROMIUM),
    }

    def run() -> subprocess.CompletedProcess[str]:
        with errors.open("w") as stderr:
            return subprocess.run(
                [node, str(SCRIPT)], cwd=BROWSER_DIR, env=env, stdout=subprocess.PIPE,
                stderr=stderr, text=True, timeout=180, check=False,
            )  # fmt: skip

    completed = await asyncio.to_thread(run)
    assert completed.returncode == 0, f"{SCRIPT.name} failed:\n{errors.read_text()[-4000:]}"
    seen: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])

    assert seen["login_url"] == "/dashboard/login"
    assert (seen["login_heading"], seen["signed_in_as"], seen["lang"]) == (
        "Đăng nhập", "clerk-g22", "vi",
    )  # fmt: skip
    assert result.document_id in seen["by_subject"]
    assert seen["by_document_id"] == [result.document_id]
    assert seen["document_page"] == f"/dashboard/messages/{result.message_id}"
    assert (seen["heading"], seen["subject"]) == (result.document_id, SUBJECT)

    timelines = {t["recipient"]: t for t in seen["timelines"]}
    assert list(timelines) == [H41, H53]
    expected = ["delivered", "fetched", "acknowledged", "status", "status"]
    for code, first in ((H41, "routed"), (H53, "redirected")):
        timeline = timelines[code]
        assert (timeline["phase"], timeline["status"]) == ("acknowledged", "03")
        assert [e["event"] for e in timeline["events"]] == [first, *expected]
        assert [e["status"] for e in timeline["events"]][-2:] == ["01", "03"]
        labels = [e["label"] for e in timeline["events"]]
        assert labels[-1] == "Trạng thái 03 Đã tiếp nhận"
        assert all(e["iso"].endswith("+00:00") and e["shown"] for e in timeline["events"])
    assert H39 in timelines[H53]["redirected_note"] and timelines[H41]["redirected_note"] is None
    assert G22 not in timelines  # the sender's own "accepted" is no recipient's timeline

    assert seen["foreign_requests"] == [], "the page loaded something from another origin"
    assert seen["console_errors"] == [] and seen["failed_requests"] == []
    data = screenshot.read_bytes()
    width, height = png_size(data)
    assert width >= 1440 and height >= 900 and len(data) > 30_000
