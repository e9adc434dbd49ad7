"""schemathesis against the node's own `/openapi.json`: generated requests to every route find
no server error (5xx) and no response that breaks the document's own schemas.

It runs as a client holding every role, so the generated requests reach the routes' logic
rather than stopping at authorization.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from axis.store.credentials import Role
from tests.axis.http.conftest import HttpNode
from tests.support.running_node import G22

pytestmark = pytest.mark.integration

MAX_EXAMPLES = "25"


async def test_generated_requests_find_no_server_error(served: HttpNode, tmp_path: Path) -> None:
    secret = await served.add_client("everything", [G22], list(Role))
    report = tmp_path / "schemathesis.txt"
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run",
        f"{served.base_url}/openapi.json",
        "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
        "--header", f"Authorization: Bearer {secret}",
        "--max-examples", MAX_EXAMPLES,
        "--seed", "7",
        "--request-timeout", "30",
        "--no-color",
    ]  # fmt: skip

    def run() -> int:
        with report.open("w") as out:
            env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
            done = subprocess.run(
                command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path, timeout=900
            )
            return done.returncode

    status = await asyncio.to_thread(run)
    text = report.read_text()
    failures = text[text.find("FAILURES") :] if "FAILURES" in text else text[-6000:]
    assert status == 0, failures[:8000]
