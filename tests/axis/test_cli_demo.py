"""`axis demo` on a fresh data directory: a signed document to two agencies (one addressed by a
code closed in 2025), delivered, fetched, answered 01 -> 03 -> 06, timelines printed; and again
on the same directory."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.support.cli import run_axis as axis

pytestmark = pytest.mark.integration


def test_the_demo_runs_a_document_to_06_for_both_recipients_twice(
    tmp_path: Path, kafka_bootstrap: str, topic_prefix: str
) -> None:
    env = {
        **os.environ, "AXIS_DATA_DIR": str(tmp_path / ".axis"), "COLUMNS": "200",
        "AXIS_KAFKA_BOOTSTRAP": kafka_bootstrap, "AXIS_TOPIC_PREFIX": topic_prefix,
    }  # fmt: skip
    for name in ("AXIS_CONFIG", "AXIS_LOG_LEVEL", "AXIS_DATABASE_URL"):
        env.pop(name, None)
    first = axis(["demo"], env, cwd=tmp_path, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert "000.00.00.H41: routed" in out
    assert "000.00.00.H39: redirected via 000.00.00.H39 -> 000.00.00.H53" in out
    assert "000.00.00.H41: acknowledged, status 06" in out
    assert "000.00.00.H53 (addressed to 000.00.00.H39): acknowledged, status 06" in out

    message_id = re.findall(r"axis track --local ([0-9a-f-]{36})", out)[-1]
    tracked = axis(["track", "--local", message_id, "--json"], env, cwd=tmp_path)
    assert tracked.returncode == 0, tracked.stderr
    (report,) = json.loads(tracked.stdout)
    by_recipient = {r["recipient"]: r for r in report["recipients"]}
    assert set(by_recipient) == {"000.00.00.H41", "000.00.00.H53"}
    for recipient in by_recipient.values():
        events = [(e["event"], e["status"]) for e in recipient["timeline"]]
        assert events[1:] == [
            ("delivered", None), ("fetched", None), ("acknowledged", None),
            ("status", "01"), ("status", "03"), ("status", "06"),
        ]  # fmt: skip

    again = axis(["demo"], env, cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "loaded the generated 2025 dataset" not in again.stdout  # the registry is kept
    assert re.findall(r"axis track --local ([0-9a-f-]{36})", again.stdout)[-1] != message_id
