"""`axis broker start|status|stop` and `axis doctor`, run as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import _free_port_pair
from tests.support.cli import run_axis as axis

pytestmark = pytest.mark.integration


def test_broker_lifecycle_and_doctor(tmp_path: Path) -> None:
    port = _free_port_pair()
    env = {
        **os.environ,
        "AXIS_DATA_DIR": str(tmp_path / "data"),
        "AXIS_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}",
        "COLUMNS": "200",
    }
    env.pop("AXIS_CONFIG", None)
    started = axis(["broker", "start", "--heap", "512m"], env, tmp_path)
    try:
        assert started.returncode == 0, started.stderr
        assert f"is up at 127.0.0.1:{port}" in started.stderr

        status = axis(["broker", "status", "--json"], env, tmp_path)
        assert status.returncode == 0, status.stdout + status.stderr
        (node,) = json.loads(status.stdout)
        assert node["serving"] and node["release"].startswith("4.")
        # The real broker: a JVM whose main class is kafka.Kafka.
        cmdline = Path(f"/proc/{node['pid']}/cmdline").read_bytes().split(b"\0")
        assert Path(cmdline[0].decode()).name == "java"
        assert b"kafka.Kafka" in cmdline

        again = axis(["broker", "start"], env, tmp_path)
        assert again.returncode == 0, again.stderr
        assert (
            json.loads(axis(["broker", "status", "--json"], env, tmp_path).stdout)[0]["pid"]
            == (node["pid"])
        )

        assert axis(["db", "upgrade"], env, tmp_path).returncode == 0
        healthy = axis(["doctor"], env, tmp_path)
        assert healthy.returncode == 0, healthy.stdout
        assert "Apache Kafka 4.1" in healthy.stdout
        assert "assembled from Apache Kafka 4.1.1" in healthy.stdout
        assert "FAIL" not in healthy.stdout
    finally:
        stopped = axis(["broker", "stop"], env, tmp_path)
    assert stopped.returncode == 0 and "stopped node(s) 1" in stopped.stderr

    down = axis(["doctor"], env, tmp_path)
    assert down.returncode == 1
    assert "FAIL" in down.stdout and "axis broker start" in down.stdout
    assert axis(["broker", "status"], env, tmp_path).returncode == 1


def test_doctor_says_how_to_migrate_a_database_behind_the_code(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    env = {**os.environ, "AXIS_DATA_DIR": str(tmp_path / "data"),
           "AXIS_KAFKA_BOOTSTRAP": kafka_bootstrap, "COLUMNS": "200"}  # fmt: skip
    result = axis(["doctor"], env, tmp_path)
    assert result.returncode == 1
    assert "axis db upgrade" in result.stdout
    assert "schema at revision none" in result.stdout


def test_doctor_reports_a_bad_setting_instead_of_crashing(tmp_path: Path) -> None:
    env = {**os.environ, "AXIS_LISTEN": "nonsense", "COLUMNS": "200"}
    result = axis(["doctor"], env, tmp_path)
    assert result.returncode == 1
    assert "configuration" in result.stdout and "AXIS_LISTEN must be host:port" in result.stdout
