"""`axis serve` on several cores: the supervisor runs AXIS_PROCESSES node processes behind one
port, starts again one that dies, stops them all on SIGTERM, and takes them with it when it is
killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.bus import eventually
from tests.support.cli import run_axis as axis
from tests.support.postgres import free_port

pytestmark = pytest.mark.integration


def children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_the_supervisor_keeps_its_processes_running_and_stops_them_all(
    tmp_path: Path, kafka_bootstrap: str, topic_prefix: str
) -> None:
    port = free_port()
    env = {
        **os.environ, "AXIS_DATA_DIR": str(tmp_path / "data"),
        "AXIS_KAFKA_BOOTSTRAP": kafka_bootstrap, "AXIS_TOPIC_PREFIX": topic_prefix,
        "AXIS_PARTITIONS": "2", "AXIS_LISTEN": f"127.0.0.1:{port}", "AXIS_PROCESSES": "2",
    }  # fmt: skip
    for name in ("AXIS_CONFIG", "AXIS_DATABASE_URL"):
        env.pop(name, None)
    assert axis(["db", "upgrade"], env).returncode == 0
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "axis.cli.main", "serve"]

    def start() -> subprocess.Popen[bytes]:
        with log.open("ab") as sink:
            return subprocess.Popen(command, env=env, cwd=tmp_path, stderr=sink, stdout=sink)

    async def answering() -> bool:
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                return (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        except httpx.TransportError:
            return False

    server = start()
    try:
        await eventually(lambda: _true(len(children(server.pid)) == 2), what="two processes")
        await eventually(answering, timeout=60, what="the node's port")
        first = children(server.pid)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)

        async def replaced() -> bool:
            now = children(server.pid)
            return len(now) == 2 and victim not in now

        await eventually(replaced, timeout=30, what="the killed process started again")
        await eventually(answering, timeout=60, what="the node's port after the restart")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=90)
    said = log.read_text()
    assert server.returncode == 0, said
    assert "2 node processes" in said and "SERVE_PROCESS_EXITED" in said
    assert not children(server.pid)

    server = start()  # killed outright, it takes its processes with it
    try:
        await eventually(lambda: _true(len(children(server.pid)) == 2), what="two processes")
        held = children(server.pid)
        server.kill()
        server.wait(timeout=10)

        async def gone() -> bool:
            return not any(alive(pid) for pid in held)

        await eventually(gone, timeout=15, what="the processes gone with their supervisor")
    finally:
        if server.poll() is None:
            server.kill()


async def _true(value: bool) -> bool:
    return value
