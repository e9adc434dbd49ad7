"""`axis serve` as an operator runs it: a separate process that serves HTTPS (its own
certificate, client certificates optional), takes a document over its HTTP API, delivers and
tracks it, answers its health routes, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from axis.keys.node_secret import load_or_create
from axis.node.assembly import open_node
from axis.settings import load_settings
from axis.store.credentials import ClientStore, Role
from routing.lifecycle import Phase
from routing.tracking import TrackingStore
from signing.certificates import load_certificate, load_private_key
from signing.signer import sign_packet
from tests.support.bus import eventually
from tests.support.cli import run_axis as axis
from tests.support.packets import document
from tests.support.postgres import free_port
from tests.support.tls import write_tls_pki

pytestmark = pytest.mark.integration

G22, H41 = "000.00.00.G22", "000.00.00.H41"


async def test_serve_delivers_and_tracks_what_is_submitted_and_stops_on_sigterm(
    tmp_path: Path, kafka_bootstrap: str, topic_prefix: str
) -> None:
    data = tmp_path / "data"
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    tls = write_tls_pki(tmp_path / "tls", ["dms"])
    env = {
        **os.environ, "AXIS_DATA_DIR": str(data), "AXIS_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "AXIS_TOPIC_PREFIX": topic_prefix, "AXIS_PARTITIONS": "2",
        "AXIS_LISTEN": f"127.0.0.1:{port}", "AXIS_TLS_CERT_FILE": str(tls.server.certificate),
        "AXIS_TLS_KEY_FILE": str(tls.server.key), "AXIS_TLS_CLIENT_CA_FILE": str(tls.ca),
        "AXIS_TLS_CLIENT_CERT": "optional",
    }  # fmt: skip
    for name in ("AXIS_CONFIG", "AXIS_DATABASE_URL"):
        env.pop(name, None)
    registry = tmp_path / "registry.json"
    registry.write_text(
        json.dumps(
            {
                "effective": "2020-01-01T00:00:00+07:00",
                "changes": [
                    {"op": "create", "unit": {"code": code, "name": code, "level": 1}}
                    for code in (G22, H41)
                ],
            }
        )
    )
    pki = tmp_path / "pki"
    for command in (
        ["db", "upgrade"],
        ["registry", "apply", str(registry)],
        ["keys", "dev-pki", str(pki), "--org", G22],
        ["trust", "import", str(pki)],
    ):
        done = axis(command, env)
        assert done.returncode == 0, (command, done.stderr)

    log = tmp_path / "serve.log"

    def start() -> subprocess.Popen[bytes]:
        with log.open("wb") as sink:
            command = [sys.executable, "-m", "axis.cli.main", "serve"]
            return subprocess.Popen(command, env=env, cwd=tmp_path, stderr=sink)

    server = start()
    try:
        settings = load_settings(
            data_dir=data, kafka_bootstrap=kafka_bootstrap, topic_prefix=topic_prefix,
            partitions=2,
        )  # fmt: skip
        async with open_node(settings) as node:  # reads what the served node did
            async with node.sessions.begin() as session:
                issued = await ClientStore(load_or_create(settings.secret_key_path)).add(
                    session, client_id="dms-g22", name="DMS", codes=[G22], roles=[Role.AGENCY]
                )
            packet = sign_packet(
                document(G22, [H41], 1),
                load_private_key(pki / f"{G22}.key"),
                load_certificate(pki / f"{G22}.pem"),
            )
            auth = {"Authorization": f"Bearer {issued.secret}"}
            verify = tls.client_context("dms")  # trusts the node's CA, presents a certificate
            async with httpx.AsyncClient(
                base_url=url, headers=auth, timeout=30, verify=verify
            ) as client:

                async def listening() -> bool:
                    try:
                        return (await client.get("/healthz")).status_code == 200
                    except httpx.TransportError:
                        return False

                await eventually(listening, timeout=60, what="the served node's HTTP API")
                sent = await client.post("/v1/packets", content=packet)
                assert sent.status_code == 202, sent.text
                ready = await client.get("/readyz")
                assert ready.status_code == 200, ready.text
            message_id = UUID(sent.json()["message_id"])

            async def delivered() -> bool:
                async with node.sessions() as session:
                    found = await TrackingStore().delivery(session, message_id, H41)
                return found is not None and found.phase is Phase.DELIVERED

            await eventually(delivered, timeout=90, what="the served node to deliver and track")
            fetched = await node.mailbox.fetch([H41], message_id)
            assert fetched.data == packet
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    stderr = log.read_text()
    assert server.returncode == 0, stderr
    assert "deliver, retry, track" in stderr
    assert f"HTTP on {url}" in stderr
