"""`axis registry ...` on two nodes against one real broker, each its own process and database:
the authority applies the generated 2025 dataset, the follower resolves it, catches up after
being down, and refuses snapshots that are tampered with or signed by another key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from axis.devtools.dataset2025 import build_dataset, write_dataset
from tests.support.cli import run_axis

pytestmark = pytest.mark.integration

AUTHORITY = "000.00.00.G22"


class Node:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env

    def axis(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = run_axis(list(args), self.env, cwd=self.root)
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.axis(*args, "--json").stdout)

    def follow(self, command: str = "follow") -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "axis.cli.main", "registry", command],
            env=self.env,
            cwd=self.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_for_version(self, version: int) -> dict[str, Any]:
        for _ in range(60):
            status: dict[str, Any] = self.json("registry", "status")
            if status["version"] >= version:
                return status
            time.sleep(0.5)
        raise AssertionError(f"{self.root.name} did not reach registry version {version}")


@pytest.fixture
def nodes(tmp_path: Path, kafka_bootstrap: str, topic_prefix: str) -> Iterator[tuple[Node, Node]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AXIS_")}
    base |= {
        "AXIS_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "AXIS_TOPIC_PREFIX": topic_prefix,
        "COLUMNS": "200",
        "AXIS_LOG_LEVEL": "WARNING",
        "AXIS_REGISTRY_HEARTBEAT_SECONDS": "1",
    }
    pki = tmp_path / "pki"
    done = run_axis(["keys", "dev-pki", str(pki), "--org", AUTHORITY], base)
    assert done.returncode == 0, done.stderr
    roots = [tmp_path / "authority", tmp_path / "follower"]
    for root in roots:
        root.mkdir()
    authority = Node(
        roots[0],
        base
        | {
            "AXIS_DATA_DIR": str(roots[0] / "data"),
            "AXIS_REGISTRY_MODE": "authority",
            "AXIS_REGISTRY_KEY": str(pki / f"{AUTHORITY}.key"),
            "AXIS_REGISTRY_CERT": str(pki / f"{AUTHORITY}.pem"),
        },
    )
    follower = Node(
        roots[1],
        base
        | {
            "AXIS_DATA_DIR": str(roots[1] / "data"),
            "AXIS_REGISTRY_MODE": "follower",
            "AXIS_REGISTRY_AUTHORITY_CERT": str(pki / f"{AUTHORITY}.pem"),
            "AXIS_REGISTRY_SNAPSHOT_SOURCE": str(roots[0] / "data" / "registry"),
        },
    )
    for node in (authority, follower):
        node.axis("db", "upgrade")
    return authority, follower


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def test_the_2025_dataset_reaches_the_follower_and_a_restarted_follower_catches_up(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    authority, follower = nodes
    dataset = build_dataset()
    baseline, rearrangement, _ = write_dataset(tmp_path / "dataset", dataset)
    facts = dataset.facts
    authority.axis("registry", "apply", str(baseline))

    beating = authority.follow("heartbeat")  # what `axis serve` does on the authority's node
    following = follower.follow()
    try:
        status = follower.wait_for_version(1)
        for _ in range(60):  # the first heartbeat may come a moment after the first version
            if status["liveness"] == "current":
                break
            time.sleep(0.5)
            status = follower.json("registry", "status")
        assert (status["degraded"], status["liveness"]) == (False, "current")
        applied = authority.json("registry", "apply", str(rearrangement))
        assert (applied["version"], applied["warnings"]) == (2, [])
        follower.wait_for_version(2)

        province, kept = next(iter(facts.merged_provinces.items()))
        answer = follower.json("registry", "resolve", province)
        assert (answer["outcome"], answer["target"], answer["version"]) == ("redirected", kept, 2)
        commune, new_commune = next(iter(facts.merged_communes.items()))
        assert follower.json("registry", "resolve", commune)["target"] == new_commune
        before = follower.json("registry", "resolve", commune, "--at", "2025-06-15T08:00:00+07:00")
        assert (before["outcome"], before["target"]) == ("active", commune)
        split, successors = next(iter(facts.split_communes.items()))
        ambiguous = follower.json("registry", "resolve", split)
        assert (ambiguous["outcome"], ambiguous["candidates"]) == ("ambiguous", list(successors))
        district = facts.closed_districts[0]
        assert follower.json("registry", "resolve", district)["outcome"] == "closed"
        refused = follower.axis("registry", "apply", str(rearrangement), ok=False)
        assert refused.returncode == 1
        assert refused.stderr.startswith("REGISTRY_NOT_AUTHORITY:")
    finally:
        _stop(following)
        _stop(beating)

    # The follower is down while the authority applies two change sets.
    for n, name in enumerate(["Văn phòng Chính phủ (1)", "Văn phòng Chính phủ (2)"]):
        change = tmp_path / f"rename-{n}.json"
        change.write_text(
            json.dumps(
                {
                    "effective": f"2025-08-0{n + 1}T00:00:00+07:00",
                    "reason": "test",
                    "changes": [{"op": "rename", "code": AUTHORITY, "name": name}],
                }
            ),
            encoding="utf-8",
        )
        authority.axis("registry", "apply", str(change))
    assert authority.json("registry", "status")["version"] == 4
    assert follower.json("registry", "status")["version"] == 2

    following = follower.follow()
    try:
        status = follower.wait_for_version(4)
        assert status["version"] == 4
        assert status["units"] == authority.json("registry", "status")["units"]
    finally:
        _stop(following)


def test_snapshots_tampered_or_signed_by_another_key_are_refused(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    authority, follower = nodes
    baseline, _, _ = write_dataset(tmp_path / "dataset", build_dataset())
    authority.axis("registry", "apply", str(baseline))
    snapshot = tmp_path / "snapshot.json"
    authority.axis("registry", "export", "--signed", "-o", str(snapshot))

    loaded = follower.json("registry", "import", str(snapshot))
    assert loaded["version"] == 1
    assert follower.json("registry", "resolve", AUTHORITY)["outcome"] == "active"

    document = json.loads(snapshot.read_bytes())
    document["states"][0][4] = "forged"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    refused = follower.axis("registry", "import", str(tampered), ok=False)
    assert (refused.returncode, refused.stderr.split(":")[0]) == (1, "SNAPSHOT_TAMPERED")

    other_pki = tmp_path / "other"
    authority.axis("keys", "dev-pki", str(other_pki), "--org", AUTHORITY)
    impostor = Node(
        authority.root,
        authority.env
        | {
            "AXIS_REGISTRY_KEY": str(other_pki / f"{AUTHORITY}.key"),
            "AXIS_REGISTRY_CERT": str(other_pki / f"{AUTHORITY}.pem"),
        },
    )
    foreign = tmp_path / "foreign.json"
    impostor.axis("registry", "export", "--signed", "-o", str(foreign))
    refused = follower.axis("registry", "import", str(foreign), ok=False)
    assert (refused.returncode, refused.stderr.split(":")[0]) == (1, "SNAPSHOT_SIGNER_UNTRUSTED")


def test_a_change_set_is_previewed_on_the_nodes_registry_without_being_applied(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    authority, _ = nodes
    h39, h53, h26, h41 = (f"000.00.00.{c}" for c in ("H39", "H53", "H26", "H41"))
    units = [(h39, "UBND tỉnh Long An"), (h53, "UBND tỉnh Tây Ninh"), (h26, "Sở Tư pháp"),
             (h41, "UBND tỉnh Nghệ An")]  # fmt: skip
    baseline = {
        "effective": "2020-01-01T00:00:00+07:00", "reason": "baseline",
        "changes": [{"op": "create", "unit": {"code": c, "name": n, "parent": None, "level": 1}}
                    for c, n in units],
    }  # fmt: skip
    rearrangement = {
        "effective": "2025-07-01T00:00:00+07:00", "reason": "Nghị quyết 202/2025",
        "changes": [{"op": "merge", "from": [h53, h39], "into": h53},
                    {"op": "split", "from": h26, "into": [h41, h53]}],
    }  # fmt: skip
    for name, change_set in (("baseline", baseline), ("rearrangement", rearrangement)):
        (tmp_path / f"{name}.json").write_text(json.dumps(change_set), encoding="utf-8")
    authority.axis("registry", "apply", str(tmp_path / "baseline.json"))

    found = authority.json("registry", "preview", str(tmp_path / "rearrangement.json"))
    assert found["version"] == 2
    assert {c["code"]: (c["outcome"], c["successor"], c["candidates"]) for c in found["codes"]} == {
        h39: ("redirected", h53, []),
        h26: ("ambiguous", None, [h41, h53]),
    }
    shown = authority.axis("registry", "preview", str(tmp_path / "rearrangement.json")).stdout
    assert "2 code(s) stop receiving (1 redirected, 1 split, 0 closed)" in shown
    assert authority.json("registry", "status")["version"] == 1  # nothing applied
